using System.Net;
using LlmDataDist.Tests.Support;
using static LlmDataDist.Tests.Support.Samples;

namespace LlmDataDist.Tests;

/// <summary>Valid calls reach the backend with exactly the native arguments: milliseconds, option strings, header defaults.</summary>
public class ArgumentConversionTests
{
    [Fact]
    public async Task Typed_options_become_the_native_string_map()
    {
        var (client, backend) = NewClient();
        var options = new LlmDataDistOptions
        {
            DeviceId = 0,
            ListenIpInfo = new IPEndPoint(IPAddress.Parse("10.0.0.1"), 26000),
            SyncKvCacheWaitTime = TimeSpan.FromSeconds(2),
            EnableSwitchRole = true,
            BufPoolCfg = "{\"buf_pool_size\": 1073741824}",
            TransferBackend = "hixl",
        };
        options.AdditionalOptions["ge.exec.deviceId"] = "0";

        await client.InitializeAsync(options);

        var map = backend.Single("Initialize").Arg<IReadOnlyDictionary<string, string>>("options");
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["llm.DeviceId"] = "0",
                ["llm.ListenIpInfo"] = "10.0.0.1:26000",
                ["llm.SyncKvCacheWaitTime"] = "2000",
                ["llm.EnableSwitchRole"] = "1",
                ["llm.BufPoolCfg"] = "{\"buf_pool_size\": 1073741824}",
                ["llm.TransferBackend"] = "hixl",
                ["ge.exec.deviceId"] = "0",
            },
            map.ToDictionary(kv => kv.Key, kv => kv.Value));
    }

    [Fact]
    public async Task Unset_options_are_left_out_so_the_library_defaults_apply()
    {
        var (client, backend) = NewClient();

        await client.InitializeAsync(new LlmDataDistOptions { DeviceId = 7, EnableSwitchRole = false });

        var map = backend.Single("Initialize").Arg<IReadOnlyDictionary<string, string>>("options");
        Assert.Equal(["llm.DeviceId", "llm.EnableSwitchRole"], map.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("7", map["llm.DeviceId"]);
        Assert.Equal("0", map["llm.EnableSwitchRole"]);
    }

    [Theory]
    [InlineData(1.5, "2")]
    [InlineData(1000.0001, "1001")]
    [InlineData(250, "250")]
    public async Task Option_milliseconds_round_a_partial_millisecond_up(double milliseconds, string expected)
    {
        var (client, backend) = NewClient();

        await client.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, SyncKvCacheWaitTime = TimeSpan.FromMilliseconds(milliseconds) });

        Assert.Equal(expected, backend.Single("Initialize").Arg<IReadOnlyDictionary<string, string>>("options")["llm.SyncKvCacheWaitTime"]);
    }

    [Fact]
    public async Task Ipv6_listen_endpoint_is_bracketed_for_hx()
    {
        var (client, backend) = NewClient();

        await client.SetRoleAsync(LlmRole.Prompt, new LlmDataDistOptions { ListenIpInfo = new IPEndPoint(IPAddress.IPv6Loopback, 26000) });

        var call = backend.Single("SetRole");
        Assert.Equal(LlmRole.Prompt, call.Arg<LlmRole>("role"));
        Assert.Equal("[::1]:26000", call.Arg<IReadOnlyDictionary<string, string>>("options")["llm.ListenIpInfo"]);
    }

    [Fact]
    public async Task SetRole_without_options_sends_an_empty_map()
    {
        var (client, backend) = NewClient();

        await client.SetRoleAsync(LlmRole.Mix);

        var call = backend.Single("SetRole");
        Assert.Equal(LlmRole.Mix, call.Arg<LlmRole>("role"));
        Assert.Empty(call.Arg<IReadOnlyDictionary<string, string>>("options"));
    }

    [Fact]
    public async Task Additional_options_pass_through_as_written_when_no_typed_property_is_set()
    {
        var (client, backend) = NewClient();
        var options = new LlmDataDistOptions();
        options.AdditionalOptions[LlmOptionKeys.DeviceId] = "0;1";

        await client.InitializeAsync(options);

        Assert.Equal("0;1", backend.Single("Initialize").Arg<IReadOnlyDictionary<string, string>>("options")["llm.DeviceId"]);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(10_000, 1)] // 1 ms exactly
    [InlineData(10_001, 2)] // a partial millisecond rounds up: the library must never get less time than asked for
    [InlineData(2_500_000, 250)]
    public async Task Link_timeout_becomes_whole_milliseconds_rounded_up(long ticks, int expectedMilliseconds)
    {
        var (client, backend) = NewClient();

        await client.LinkLlmClustersAsync([Cluster()], TimeSpan.FromTicks(ticks));

        Assert.Equal(expectedMilliseconds, backend.Single("LinkLlmClusters").Arg<int>("timeoutInMillis"));
    }

    [Fact]
    public async Task Link_and_unlink_fill_the_header_defaults()
    {
        var (client, backend) = NewClient();
        ClusterInfo[] clusters = [Cluster(2), Cluster(3, remoteIp: "10.0.0.3")];

        await client.LinkLlmClustersAsync(clusters);
        await client.UnlinkLlmClustersAsync(clusters);
        await client.UnlinkLlmClustersAsync(clusters, TimeSpan.FromSeconds(3), forceFlag: true);

        var link = backend.Single("LinkLlmClusters");
        Assert.Same(clusters, link.Arg<IReadOnlyList<ClusterInfo>>("clusters"));
        Assert.Equal(1000, link.Arg<int>("timeoutInMillis"));
        var unlinks = backend.Calls.Where(c => c.Method == "UnlinkLlmClusters").ToList();
        Assert.Equal((1000, false), (unlinks[0].Arg<int>("timeoutInMillis"), unlinks[0].Arg<bool>("forceFlag")));
        Assert.Equal((3000, true), (unlinks[1].Arg<int>("timeoutInMillis"), unlinks[1].Arg<bool>("forceFlag")));
    }

    [Fact]
    public async Task Pull_kv_cache_fills_batch_index_size_and_ext_param_defaults()
    {
        var (client, backend) = NewClient();
        var index = Remote(cacheId: 5, batchIndex: 3);
        var cache = DeviceCache(9);

        await client.PullKvCacheAsync(index, cache);

        var call = backend.Single("PullKvCache");
        Assert.Same(index, call.Arg<CacheIndex>("srcCacheIndex"));
        Assert.Same(cache, call.Arg<Cache>("dstCache"));
        Assert.Equal(0u, call.Arg<uint>("batchIndex"));
        Assert.Equal(-1L, call.Arg<long>("size"));
        AssertDefaultExtParam(call.Arg<KvCacheExtParam>("extParam"));
    }

    [Fact]
    public async Task Pull_kv_cache_passes_explicit_arguments_unchanged()
    {
        var (client, backend) = NewClient();
        var ext = Ext(new(0, 3), new(4, 7), 1);

        await client.PullKvCacheAsync(Remote(), DeviceCache(), batchIndex: 6, size: 128, extParam: ext);

        var call = backend.Single("PullKvCache");
        Assert.Equal((6u, 128L), (call.Arg<uint>("batchIndex"), call.Arg<long>("size")));
        Assert.Same(ext, call.Arg<KvCacheExtParam>("extParam"));
    }

    [Fact]
    public async Task Pull_kv_blocks_passes_the_block_lists_in_order_with_default_ext_param()
    {
        var (client, backend) = NewClient();

        await client.PullKvBlocksAsync(Remote(), DeviceCache(), [0, 1, 2, 3], [3, 2, 1, 0]);

        var call = backend.Single("PullKvBlocks");
        Assert.Equal([0UL, 1, 2, 3], call.Arg<IReadOnlyList<ulong>>("srcBlocks"));
        Assert.Equal([3UL, 2, 1, 0], call.Arg<IReadOnlyList<ulong>>("dstBlocks"));
        AssertDefaultExtParam(call.Arg<KvCacheExtParam>("extParam"));
    }

    [Fact]
    public async Task Push_calls_fill_the_header_defaults()
    {
        var (client, backend) = NewClient();

        await client.PushKvCacheAsync(DeviceCache(), Remote(batchIndex: 2));
        await client.PushKvBlocksAsync(DeviceCache(), Remote(), [5, 6, 7], [5, 6, 7]);

        var push = backend.Single("PushKvCache");
        Assert.Equal((0u, -1L), (push.Arg<uint>("srcBatchIndex"), push.Arg<long>("size")));
        Assert.Equal(2u, push.Arg<CacheIndex>("dstCacheIndex").BatchIndex);
        AssertDefaultExtParam(push.Arg<KvCacheExtParam>("extParam"));
        AssertDefaultExtParam(backend.Single("PushKvBlocks").Arg<KvCacheExtParam>("extParam"));
    }

    [Fact]
    public async Task Copy_calls_fill_the_header_defaults()
    {
        var (client, backend) = NewClient();
        IReadOnlyList<IReadOnlyList<ulong>> lists = [[1, 2], [3, 4]];

        await client.CopyKvCacheAsync(DeviceCache(1), DeviceCache(2));
        await client.CopyKvBlocksAsync(DeviceCache(1), DeviceCache(2), [1, 2], lists);

        var copy = backend.Single("CopyKvCache");
        Assert.Equal((0u, 0u, 0UL, -1L), (copy.Arg<uint>("srcBatchIndex"), copy.Arg<uint>("dstBatchIndex"), copy.Arg<ulong>("offset"), copy.Arg<long>("size")));
        Assert.Same(lists, backend.Single("CopyKvBlocks").Arg<IReadOnlyList<IReadOnlyList<ulong>>>("dstBlocksList"));
    }

    [Fact]
    public async Task Cache_ids_and_descriptions_reach_the_backend_unchanged()
    {
        var (client, backend) = NewClient();
        var desc = Desc(2);

        await client.AllocateCacheAsync(desc);
        await client.DeallocateCacheAsync(42);
        await client.RegisterKvCacheAsync(desc, [0x1000, 0x2000], new RegisterCfg());
        await client.UnregisterKvCacheAsync(43);

        Assert.Same(desc, backend.Single("AllocateCache").Arg<CacheDesc>("cacheDesc"));
        Assert.Equal(42L, backend.Single("DeallocateCache").Arg<long>("cacheId"));
        Assert.Equal([0x1000UL, 0x2000], backend.Single("RegisterKvCache").Arg<IReadOnlyList<ulong>>("addrs"));
        Assert.Equal(43L, backend.Single("UnregisterKvCache").Arg<long>("cacheId"));
    }

    [Fact]
    public async Task The_callers_cancellation_token_reaches_the_backend()
    {
        var (client, backend) = NewClient();
        using var cts = new CancellationTokenSource();

        await client.PullKvBlocksAsync(Remote(), DeviceCache(), [1], [1], cancellationToken: cts.Token);

        Assert.Equal(cts.Token, backend.Single("PullKvBlocks").CancellationToken);
    }

    [Fact]
    public async Task Create_passes_cluster_id_and_role_to_the_factory_and_wraps_its_backend()
    {
        var factory = new RecordingBackendFactory();

        await using var client = LlmDataDistClient.Create(factory, 17, LlmRole.Prompt);

        var backend = Assert.Single(factory.Created);
        Assert.Equal((17UL, LlmRole.Prompt), (backend.ClusterId, backend.Role));
        Assert.Same(backend, client.Backend);
    }

    [Fact]
    public void Constructing_without_a_backend_or_factory_throws()
    {
        Assert.Equal("backend", Assert.Throws<ArgumentNullException>(() => new LlmDataDistClient(null!)).ParamName);
        Assert.Equal("factory", Assert.Throws<ArgumentNullException>(() => LlmDataDistClient.Create(null!, 1, LlmRole.Decoder)).ParamName);
    }

    private static void AssertDefaultExtParam(KvCacheExtParam ext)
    {
        Assert.Equal(LayerRange.All, ext.SrcLayerRange);
        Assert.Equal(LayerRange.All, ext.DstLayerRange);
        Assert.Equal(2, ext.TensorNumPerLayer);
    }

    [Fact]
    public async Task A_listen_endpoint_is_a_cluster_entry_as_it_is_and_the_role_reaches_the_backend()
    {
        var (client, backend) = NewClient();
        var listen = new IPEndPoint(IPAddress.Parse("10.0.0.1"), 26000);
        var cluster = new ClusterInfo { RemoteClusterId = 1, RemoteRoleType = LlmRole.Prompt, LocalIpInfos = [new IpInfo("10.0.0.2", 0)], RemoteIpInfos = [listen] };

        await client.LinkLlmClustersAsync([cluster]);

        var sent = Assert.Single(backend.Single("LinkLlmClusters").Arg<IReadOnlyList<ClusterInfo>>("clusters"));
        Assert.Equal(new IpInfo("10.0.0.1", 26000), Assert.Single(sent.RemoteIpInfos));
        Assert.Equal(LlmRole.Prompt, sent.RemoteRoleType);
        Assert.Equal(listen, sent.RemoteIpInfos[0].ToIPEndPoint());
    }

    [Fact]
    public void An_entry_whose_ip_is_not_an_address_has_no_endpoint()
    {
        var error = Assert.Throws<FormatException>(() => new IpInfo("10.0.0.256", 26000).ToIPEndPoint());
        Assert.Contains("10.0.0.256", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => IpInfo.FromIPEndPoint(null!));
    }
}
