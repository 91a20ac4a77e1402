using System.Net;
using LlmDataDist.Tests.Support;
using static LlmDataDist.Tests.Support.Samples;

namespace LlmDataDist.Tests;

/// <summary>
/// Every argument rule the client enforces: the call throws the documented exception type, naming the parameter and
/// the rule, and nothing reaches the backend (so a malformed call changes no state).
/// </summary>
public class ValidationTests
{
    private sealed record Case(Func<LlmDataDistClient, ValueTask> Call, Type Exception, string ParamName, string MessageFragment);

    private static readonly LayerRange FirstAfterLast = new(3, 2);
    private static readonly LayerRange FirstBelowMinusOne = new(-2, 0);
    private static readonly LayerRange LastBelowMinusOne = new(-1, -2);
    private static readonly TimeSpan TooLong = TimeSpan.FromMilliseconds(int.MaxValue) + TimeSpan.FromMilliseconds(1);

    private static readonly Dictionary<string, Case> Cases = new(StringComparer.Ordinal)
    {
        // Initialize: options rendered by LlmDataDistOptions, then the client's own rule.
        ["Initialize null options"] = new(c => c.InitializeAsync(null!), typeof(ArgumentNullException), "options", "options"),
        ["Initialize without DeviceId"] = new(c => c.InitializeAsync(new LlmDataDistOptions { ListenIpInfo = new IPEndPoint(IPAddress.Loopback, 1) }), typeof(ArgumentException), "options", "llm.DeviceId"),
        ["Initialize negative DeviceId"] = new(c => c.InitializeAsync(new LlmDataDistOptions { DeviceId = -1 }), typeof(ArgumentOutOfRangeException), "DeviceId", "DeviceId"),
        ["Initialize SyncKvCacheWaitTime zero"] = new(c => c.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, SyncKvCacheWaitTime = TimeSpan.Zero }), typeof(ArgumentOutOfRangeException), "SyncKvCacheWaitTime", "greater than zero"),
        ["Initialize SyncKvCacheWaitTime negative"] = new(c => c.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, SyncKvCacheWaitTime = TimeSpan.FromSeconds(-1) }), typeof(ArgumentOutOfRangeException), "SyncKvCacheWaitTime", "greater than zero"),
        ["Initialize SyncKvCacheWaitTime over int32 ms"] = new(c => c.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, SyncKvCacheWaitTime = TooLong }), typeof(ArgumentOutOfRangeException), "SyncKvCacheWaitTime", "2147483647"),
        ["Initialize BufPoolCfg invalid JSON"] = new(c => c.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, BufPoolCfg = "{\"buf_pool_size\": " }), typeof(ArgumentException), "BufPoolCfg", "valid JSON"),
        ["Initialize BufPoolCfg empty"] = new(c => c.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, BufPoolCfg = "" }), typeof(ArgumentException), "BufPoolCfg", "BufPoolCfg"),
        ["Initialize LocalCommRes invalid JSON"] = new(c => c.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, LocalCommRes = "version: 1.0" }), typeof(ArgumentException), "LocalCommRes", "valid JSON"),
        ["Initialize GlobalResourceConfig invalid JSON"] = new(c => c.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, GlobalResourceConfig = "[1," }), typeof(ArgumentException), "GlobalResourceConfig", "valid JSON"),
        ["Initialize TransferBackend blank"] = new(c => c.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, TransferBackend = " " }), typeof(ArgumentException), "TransferBackend", "TransferBackend"),
        ["Initialize AdditionalOptions duplicates a typed key"] = new(c => c.InitializeAsync(WithAdditional(LlmOptionKeys.DeviceId, "1")), typeof(ArgumentException), "additional", "both as a typed property"),
        ["Initialize AdditionalOptions empty key"] = new(c => c.InitializeAsync(WithAdditional("", "1")), typeof(ArgumentException), "additional", "must not be empty"),

        // SetRole: the role must be a real role; options are rendered as for Initialize.
        ["SetRole End"] = new(c => c.SetRoleAsync(LlmRole.End), typeof(ArgumentOutOfRangeException), "role", "Prompt, Decoder or Mix"),
        ["SetRole 99"] = new(c => c.SetRoleAsync((LlmRole)99), typeof(ArgumentOutOfRangeException), "role", "Prompt, Decoder or Mix"),
        ["SetRole 0"] = new(c => c.SetRoleAsync(0), typeof(ArgumentOutOfRangeException), "role", "Prompt, Decoder or Mix"),
        ["SetRole options SyncKvCacheWaitTime zero"] = new(c => c.SetRoleAsync(LlmRole.Prompt, new LlmDataDistOptions { SyncKvCacheWaitTime = TimeSpan.Zero }), typeof(ArgumentOutOfRangeException), "SyncKvCacheWaitTime", "greater than zero"),

        // Link and Unlink: clusters, IPv4 text, timeout.
        ["Link null clusters"] = new(c => Discard(c.LinkLlmClustersAsync(null!)), typeof(ArgumentNullException), "clusters", "clusters"),
        ["Link empty clusters"] = new(c => Discard(c.LinkLlmClustersAsync([])), typeof(ArgumentException), "clusters", "must not be empty"),
        ["Link null cluster element"] = new(c => Discard(c.LinkLlmClustersAsync([Cluster(), null!])), typeof(ArgumentException), "clusters", "clusters[1] is null"),
        ["Link remote IP empty"] = new(c => Discard(c.LinkLlmClustersAsync([Cluster(remoteIp: "")])), typeof(ArgumentException), "clusters", "clusters[0].RemoteIpInfos[0].Ip ''"),
        ["Link remote IP three octets"] = new(c => Discard(c.LinkLlmClustersAsync([Cluster(remoteIp: "1.2.3")])), typeof(ArgumentException), "clusters", "'1.2.3' is not dotted IPv4"),
        ["Link remote IP IPv6"] = new(c => Discard(c.LinkLlmClustersAsync([Cluster(remoteIp: "::1")])), typeof(ArgumentException), "clusters", "'::1' is not dotted IPv4"),
        ["Link remote IP octet over 255"] = new(c => Discard(c.LinkLlmClustersAsync([Cluster(remoteIp: "256.1.1.1")])), typeof(ArgumentException), "clusters", "'256.1.1.1' is not dotted IPv4"),
        ["Link remote IP trailing junk"] = new(c => Discard(c.LinkLlmClustersAsync([Cluster(remoteIp: "01.2.3.4x")])), typeof(ArgumentException), "clusters", "'01.2.3.4x' is not dotted IPv4"),
        ["Link remote IP leading zero octet"] = new(c => Discard(c.LinkLlmClustersAsync([Cluster(remoteIp: "192.168.001.010")])), typeof(ArgumentException), "clusters", "'192.168.001.010' is not dotted IPv4"),
        ["Link remote IP hostname"] = new(c => Discard(c.LinkLlmClustersAsync([Cluster(remoteIp: "localhost")])), typeof(ArgumentException), "clusters", "'localhost'"),
        ["Link local IP invalid in second cluster"] = new(c => Discard(c.LinkLlmClustersAsync([Cluster(), Cluster(3, localIp: "1.2.3")])), typeof(ArgumentException), "clusters", "clusters[1].LocalIpInfos[0].Ip '1.2.3'"),
        ["Link null IpInfo element"] = new(c => Discard(c.LinkLlmClustersAsync([Cluster() with { RemoteIpInfos = [null!] }])), typeof(ArgumentException), "clusters", "clusters[0].RemoteIpInfos[0] is null"),
        ["Link null IpInfo list"] = new(c => Discard(c.LinkLlmClustersAsync([Cluster() with { LocalIpInfos = null! }])), typeof(ArgumentNullException), "clusters[0].LocalIpInfos", "LocalIpInfos"),
        ["Link timeout zero"] = new(c => Discard(c.LinkLlmClustersAsync([Cluster()], TimeSpan.Zero)), typeof(ArgumentOutOfRangeException), "timeout", "greater than zero"),
        ["Link timeout negative"] = new(c => Discard(c.LinkLlmClustersAsync([Cluster()], TimeSpan.FromMilliseconds(-5))), typeof(ArgumentOutOfRangeException), "timeout", "greater than zero"),
        ["Link timeout over int32 ms"] = new(c => Discard(c.LinkLlmClustersAsync([Cluster()], TooLong)), typeof(ArgumentOutOfRangeException), "timeout", "2147483647"),
        ["Link timeout MaxValue"] = new(c => Discard(c.LinkLlmClustersAsync([Cluster()], TimeSpan.MaxValue)), typeof(ArgumentOutOfRangeException), "timeout", "2147483647"),
        ["Unlink null clusters"] = new(c => Discard(c.UnlinkLlmClustersAsync(null!)), typeof(ArgumentNullException), "clusters", "clusters"),
        ["Unlink empty clusters"] = new(c => Discard(c.UnlinkLlmClustersAsync([])), typeof(ArgumentException), "clusters", "must not be empty"),
        ["Unlink null cluster element"] = new(c => Discard(c.UnlinkLlmClustersAsync([null!])), typeof(ArgumentException), "clusters", "clusters[0] is null"),
        ["Unlink remote IP IPv6"] = new(c => Discard(c.UnlinkLlmClustersAsync([Cluster(remoteIp: "::1")])), typeof(ArgumentException), "clusters", "'::1' is not dotted IPv4"),
        ["Unlink local IP empty"] = new(c => Discard(c.UnlinkLlmClustersAsync([Cluster(localIp: "")])), typeof(ArgumentException), "clusters", "LocalIpInfos[0].Ip ''"),
        ["Unlink timeout zero"] = new(c => Discard(c.UnlinkLlmClustersAsync([Cluster()], TimeSpan.Zero)), typeof(ArgumentOutOfRangeException), "timeout", "greater than zero"),
        ["Unlink timeout over int32 ms"] = new(c => Discard(c.UnlinkLlmClustersAsync([Cluster()], TooLong, forceFlag: true)), typeof(ArgumentOutOfRangeException), "timeout", "2147483647"),

        // Caches.
        ["AllocateCache null desc"] = new(c => Discard(c.AllocateCacheAsync(null!)), typeof(ArgumentNullException), "cacheDesc", "cacheDesc"),

        // PullKvCache.
        ["PullKvCache null srcCacheIndex"] = new(c => c.PullKvCacheAsync(null!, DeviceCache()), typeof(ArgumentNullException), "srcCacheIndex", "srcCacheIndex"),
        ["PullKvCache null dstCache"] = new(c => c.PullKvCacheAsync(Remote(), null!), typeof(ArgumentNullException), "dstCache", "dstCache"),
        ["PullKvCache size 0"] = new(c => c.PullKvCacheAsync(Remote(), DeviceCache(), size: 0), typeof(ArgumentOutOfRangeException), "size", "-1 (a whole row) or greater than zero"),
        ["PullKvCache size -2"] = new(c => c.PullKvCacheAsync(Remote(), DeviceCache(), size: -2), typeof(ArgumentOutOfRangeException), "size", "-1 (a whole row) or greater than zero"),
        ["PullKvCache src range first after last"] = new(c => c.PullKvCacheAsync(Remote(), DeviceCache(), extParam: Ext(FirstAfterLast, new(0, 0))), typeof(ArgumentException), "extParam", "SrcLayerRange (3, 2)"),
        ["PullKvCache src range first below -1"] = new(c => c.PullKvCacheAsync(Remote(), DeviceCache(), extParam: Ext(FirstBelowMinusOne, new(0, 0))), typeof(ArgumentException), "extParam", "SrcLayerRange (-2, 0)"),
        ["PullKvCache dst range last below -1"] = new(c => c.PullKvCacheAsync(Remote(), DeviceCache(), extParam: Ext(LayerRange.All, LastBelowMinusOne)), typeof(ArgumentException), "extParam", "DstLayerRange (-1, -2)"),
        ["PullKvCache TensorNumPerLayer 0"] = new(c => c.PullKvCacheAsync(Remote(), DeviceCache(), extParam: Ext(LayerRange.All, LayerRange.All, 0)), typeof(ArgumentException), "extParam", "TensorNumPerLayer"),

        // PullKvBlocks.
        ["PullKvBlocks null srcBlocks"] = new(c => c.PullKvBlocksAsync(Remote(), DeviceCache(), null!, [1]), typeof(ArgumentNullException), "srcBlocks", "srcBlocks"),
        ["PullKvBlocks null dstBlocks"] = new(c => c.PullKvBlocksAsync(Remote(), DeviceCache(), [1], null!), typeof(ArgumentNullException), "dstBlocks", "dstBlocks"),
        ["PullKvBlocks batch index 1"] = new(c => c.PullKvBlocksAsync(Remote(batchIndex: 1), DeviceCache(), [1], [2]), typeof(ArgumentException), "srcCacheIndex", "BatchIndex must be 0"),
        ["PullKvBlocks empty blocks"] = new(c => c.PullKvBlocksAsync(Remote(), DeviceCache(), [], []), typeof(ArgumentException), "srcBlocks", "must not be empty"),
        ["PullKvBlocks empty dst only"] = new(c => c.PullKvBlocksAsync(Remote(), DeviceCache(), [1], []), typeof(ArgumentException), "dstBlocks", "same length"),
        ["PullKvBlocks unequal lengths"] = new(c => c.PullKvBlocksAsync(Remote(), DeviceCache(), [1, 2, 3], [4, 5]), typeof(ArgumentException), "dstBlocks", "srcBlocks (3) and dstBlocks (2)"),
        ["PullKvBlocks dst range first after last"] = new(c => c.PullKvBlocksAsync(Remote(), DeviceCache(), [1], [2], Ext(new(0, 0), FirstAfterLast)), typeof(ArgumentException), "extParam", "DstLayerRange (3, 2)"),
        ["PullKvBlocks TensorNumPerLayer 0"] = new(c => c.PullKvBlocksAsync(Remote(), DeviceCache(), [1], [2], Ext(LayerRange.All, LayerRange.All, 0)), typeof(ArgumentException), "extParam", "TensorNumPerLayer"),

        // CopyKvCache / CopyKvBlocks.
        ["CopyKvCache null srcCache"] = new(c => c.CopyKvCacheAsync(null!, DeviceCache(2)), typeof(ArgumentNullException), "srcCache", "srcCache"),
        ["CopyKvCache size 0"] = new(c => c.CopyKvCacheAsync(DeviceCache(), DeviceCache(2), size: 0), typeof(ArgumentOutOfRangeException), "size", "greater than zero"),
        ["CopyKvCache size -2"] = new(c => c.CopyKvCacheAsync(DeviceCache(), DeviceCache(2), size: -2), typeof(ArgumentOutOfRangeException), "size", "greater than zero"),
        ["CopyKvBlocks null dstBlocksList"] = new(c => c.CopyKvBlocksAsync(DeviceCache(), DeviceCache(2), [1], null!), typeof(ArgumentNullException), "dstBlocksList", "dstBlocksList"),
        ["CopyKvBlocks null destination list"] = new(c => c.CopyKvBlocksAsync(DeviceCache(), DeviceCache(2), [1], [[1], null!]), typeof(ArgumentException), "dstBlocksList", "dstBlocksList[1] is null"),
        ["CopyKvBlocks empty srcBlocks"] = new(c => c.CopyKvBlocksAsync(DeviceCache(), DeviceCache(2), [], [[]]), typeof(ArgumentException), "srcBlocks", "must not be empty"),
        ["CopyKvBlocks empty destination list of lists"] = new(c => c.CopyKvBlocksAsync(DeviceCache(), DeviceCache(2), [1], []), typeof(ArgumentException), "dstBlocksList", "at least one destination list"),
        ["CopyKvBlocks mismatched second list"] = new(c => c.CopyKvBlocksAsync(DeviceCache(), DeviceCache(2), [1, 2], [[3, 4], [5]]), typeof(ArgumentException), "dstBlocksList", "dstBlocksList[1] has 1 blocks"),

        // PushKvCache.
        ["PushKvCache null dstCacheIndex"] = new(c => c.PushKvCacheAsync(DeviceCache(), null!), typeof(ArgumentNullException), "dstCacheIndex", "dstCacheIndex"),
        ["PushKvCache host placement"] = new(c => c.PushKvCacheAsync(HostCache(), Remote()), typeof(ArgumentException), "srcCache", "Placement must be Device"),
        ["PushKvCache size 64"] = new(c => c.PushKvCacheAsync(DeviceCache(), Remote(), size: 64), typeof(ArgumentOutOfRangeException), "size", "must be -1"),
        ["PushKvCache size 0"] = new(c => c.PushKvCacheAsync(DeviceCache(), Remote(), size: 0), typeof(ArgumentOutOfRangeException), "size", "must be -1"),
        ["PushKvCache src range first below -1"] = new(c => c.PushKvCacheAsync(DeviceCache(), Remote(), extParam: Ext(FirstBelowMinusOne, FirstBelowMinusOne)), typeof(ArgumentException), "extParam", "SrcLayerRange (-2, 0)"),
        ["PushKvCache unequal range lengths"] = new(c => c.PushKvCacheAsync(DeviceCache(), Remote(), extParam: Ext(new(0, 1), new(0, 2))), typeof(ArgumentException), "extParam", "equal length"),
        ["PushKvCache all src with explicit multi-layer dst"] = new(c => c.PushKvCacheAsync(DeviceCache(), Remote(), extParam: Ext(LayerRange.All, new(0, 3))), typeof(ArgumentException), "extParam", "equal length"),
        ["PushKvCache TensorNumPerLayer 0"] = new(c => c.PushKvCacheAsync(DeviceCache(), Remote(), extParam: Ext(LayerRange.All, LayerRange.All, 0)), typeof(ArgumentException), "extParam", "TensorNumPerLayer"),
        ["PushKvCache NumTensors 0 pushing all layers"] = new(c => c.PushKvCacheAsync(new Cache { CacheId = 1 }, Remote()), typeof(ArgumentException), "srcCache", "NumTensors must be set"),

        // PushKvBlocks.
        ["PushKvBlocks null srcBlocks"] = new(c => c.PushKvBlocksAsync(DeviceCache(), Remote(), null!, [1]), typeof(ArgumentNullException), "srcBlocks", "srcBlocks"),
        ["PushKvBlocks host placement"] = new(c => c.PushKvBlocksAsync(HostCache(), Remote(), [1], [2]), typeof(ArgumentException), "srcCache", "Placement must be Device"),
        ["PushKvBlocks empty blocks"] = new(c => c.PushKvBlocksAsync(DeviceCache(), Remote(), [], []), typeof(ArgumentException), "srcBlocks", "must not be empty"),
        ["PushKvBlocks unequal lengths"] = new(c => c.PushKvBlocksAsync(DeviceCache(), Remote(), [1], [2, 3]), typeof(ArgumentException), "dstBlocks", "srcBlocks (1) and dstBlocks (2)"),
        ["PushKvBlocks batch index 1"] = new(c => c.PushKvBlocksAsync(DeviceCache(), Remote(batchIndex: 1), [1], [2]), typeof(ArgumentException), "dstCacheIndex", "BatchIndex must be 0"),
        ["PushKvBlocks unequal range lengths"] = new(c => c.PushKvBlocksAsync(DeviceCache(), Remote(), [1], [2], Ext(new(1, 1), new(0, 1))), typeof(ArgumentException), "extParam", "equal length"),
        ["PushKvBlocks NumTensors 0 pushing all layers"] = new(c => c.PushKvBlocksAsync(DeviceCache() with { CacheDesc = Desc(0) }, Remote(), [1], [2]), typeof(ArgumentException), "srcCache", "NumTensors must be set"),

        // RegisterKvCache.
        ["RegisterKvCache null desc"] = new(c => Discard(c.RegisterKvCacheAsync(null!, [1], new RegisterCfg())), typeof(ArgumentNullException), "cacheDesc", "cacheDesc"),
        ["RegisterKvCache null addrs"] = new(c => Discard(c.RegisterKvCacheAsync(Desc(1), null!, new RegisterCfg())), typeof(ArgumentNullException), "addrs", "addrs"),
        ["RegisterKvCache null cfg"] = new(c => Discard(c.RegisterKvCacheAsync(Desc(1), [1], null!)), typeof(ArgumentNullException), "cfg", "cfg"),
        ["RegisterKvCache addrs empty"] = new(c => Discard(c.RegisterKvCacheAsync(Desc(0), [], new RegisterCfg())), typeof(ArgumentException), "addrs", "must not be empty"),
        ["RegisterKvCache addrs count differs from NumTensors"] = new(c => Discard(c.RegisterKvCacheAsync(Desc(4), [0x1000, 0x2000], new RegisterCfg())), typeof(ArgumentException), "addrs", "NumTensors = 4"),
        ["RegisterKvCache zero address"] = new(c => Discard(c.RegisterKvCacheAsync(Desc(2), [0x1000, 0], new RegisterCfg())), typeof(ArgumentException), "addrs", "addrs[1] is 0"),
        ["RegisterKvCache shape rank 0"] = new(c => Discard(c.RegisterKvCacheAsync(Desc(1) with { Shape = [] }, [0x1000], new RegisterCfg())), typeof(ArgumentException), "cacheDesc", "rank 0"),
        ["RegisterKvCache shape rank 32"] = new(c => Discard(c.RegisterKvCacheAsync(Desc(1) with { Shape = [.. Enumerable.Repeat(1L, 32)] }, [0x1000], new RegisterCfg())), typeof(ArgumentException), "cacheDesc", "rank 32"),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Invalid_call_throws_naming_the_rule_and_reaches_no_backend(string name)
    {
        var @case = Cases[name];
        var (client, backend) = NewClient();

        var ex = await Assert.ThrowsAnyAsync<ArgumentException>(async () => await @case.Call(client));

        Assert.Equal(@case.Exception, ex.GetType());
        Assert.Equal(@case.ParamName, ex.ParamName);
        Assert.Contains(@case.MessageFragment, ex.Message, StringComparison.Ordinal);
        Assert.Empty(backend.Calls);
    }

    [Fact]
    public async Task Validation_runs_before_the_cancellation_check_so_the_caller_learns_the_real_mistake()
    {
        var (client, backend) = NewClient();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await client.PullKvCacheAsync(Remote(), DeviceCache(), size: 0, cancellationToken: new CancellationToken(true)));

        Assert.Empty(backend.Calls);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("255.255.255.255")]
    [InlineData("10.0.0.1")]
    [InlineData("192.168.1.100")]
    public async Task Dotted_ipv4_text_reaches_the_backend(string ip)
    {
        var (client, backend) = NewClient();

        await client.LinkLlmClustersAsync([Cluster(remoteIp: ip, localIp: ip)]);

        Assert.Equal(ip, backend.Single("LinkLlmClusters").Arg<IReadOnlyList<ClusterInfo>>("clusters")[0].RemoteIpInfos[0].Ip);
    }

    [Fact]
    public async Task Boundary_values_the_rules_allow_reach_the_backend()
    {
        var (client, backend) = NewClient();

        await client.RegisterKvCacheAsync(Desc(1) with { Shape = [.. Enumerable.Repeat(1L, 31)] }, [0x1000], new RegisterCfg());
        await client.PullKvCacheAsync(Remote(), DeviceCache(), size: 1);
        await client.PullKvCacheAsync(Remote(), DeviceCache(), extParam: Ext(new(-1, 5), new(0, 0), 255));
        await client.PushKvCacheAsync(DeviceCache(), Remote(), extParam: Ext(new(0, 0), LayerRange.All));
        await client.PushKvCacheAsync(new Cache { CacheId = 1 }, Remote(), extParam: Ext(new(1, 2), new(3, 4)));
        await client.CopyKvBlocksAsync(DeviceCache(), DeviceCache(2), [1, 2], [[1, 2], [3, 4]]);
        await client.LinkLlmClustersAsync([Cluster() with { LocalIpInfos = [] }], TimeSpan.FromMilliseconds(int.MaxValue));

        Assert.Equal(["RegisterKvCache", "PullKvCache", "PullKvCache", "PushKvCache", "PushKvCache", "CopyKvBlocks", "LinkLlmClusters"], backend.Methods);
    }

    private static LlmDataDistOptions WithAdditional(string key, string value)
    {
        var options = Options();
        options.AdditionalOptions[key] = value;
        return options;
    }

    private static async ValueTask Discard<T>(ValueTask<T> call) => await call;
}
