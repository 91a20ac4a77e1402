using System.Net;
using LlmDataDist.Simulator.Backend;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Tests.Backend;

/// <summary>
/// The simulator says which rule a failed call broke, and the client puts it in the exception: one call per failure
/// status the simulator returns without faults, each checked for a reason in the message.
/// </summary>
public sealed class FailureReasonTests
{
    private static readonly IPEndPoint PromptEndpoint = IPEndPoint.Parse("10.0.0.1:26000");
    private static readonly ClusterInfo ToPrompt = new(1, LlmRole.Prompt, [new IpInfo("10.0.0.2", 0)], [new IpInfo("10.0.0.1", 26000)]);
    private static readonly CacheDesc Small = new(CachePlacement.Device, 2, DataType.Int8, [8, 64]);

    public static TheoryData<string> Cases => [.. Scenarios.Keys];

    private static readonly Dictionary<string, (LlmStatus Status, string Reason, Func<Setup, Task> Call)> Scenarios = new()
    {
        ["Initialize on a device the server lacks"] = (LlmStatus.Failed, "device 99 is not on server 1 (8 NPUs)",
            s => s.Fresh(LlmRole.Decoder).InitializeAsync(new LlmDataDistOptions { DeviceId = 99 }).AsTask()),
        ["CE prompt without a listen endpoint"] = (LlmStatus.ParamInvalid, "CE prompt requires llm.ListenIpInfo",
            s => s.Fresh(LlmRole.Prompt).InitializeAsync(new LlmDataDistOptions { DeviceId = 0 }).AsTask()),
        ["pull into a block past the cache"] = (LlmStatus.ParamInvalid, "dst block 4096 ≥ 8 rows",
            async s => await s.Decoder.PullKvBlocksAsync(new CacheIndex(1, s.PromptCache.CacheId, 0), s.DecoderCache, [0], [4096])),
        ["pull without a link"] = (LlmStatus.NotYetLink, "has no link to that cluster",
            async s =>
            {
                await s.Decoder.UnlinkLlmClustersAsync([ToPrompt]);
                await s.Decoder.PullKvBlocksAsync(new CacheIndex(1, s.PromptCache.CacheId, 0), s.DecoderCache, [0], [1]);
            }),
        ["deallocate an unknown cache"] = (LlmStatus.KvCacheNotExist, "cache 999 does not exist on cluster 2",
            s => s.Decoder.DeallocateCacheAsync(999).AsTask()),
        ["CE SetRole without llm.EnableSwitchRole"] = (LlmStatus.FeatureNotEnabled, "CE SetRole needs llm.EnableSwitchRole=1",
            s => s.Decoder.SetRoleAsync(LlmRole.Prompt, new LlmDataDistOptions { ListenIpInfo = IPEndPoint.Parse("10.0.0.2:26001") }).AsTask()),
        ["allocate more than the pool"] = (LlmStatus.DeviceOutOfMemory, "of the",
            async s => await s.Decoder.AllocateCacheAsync(new CacheDesc(CachePlacement.Device, 2, DataType.Int8, [1 << 20, 1 << 12]))),
        ["link more than 16 clusters at once"] = (LlmStatus.ClusterNumExceedLimit, "17 clusters > 16 per call",
            async s => await s.Decoder.LinkLlmClustersAsync([.. Enumerable.Range(10, 17).Select(i => new ClusterInfo((ulong)i, LlmRole.Prompt, [new IpInfo("10.0.0.2", 0)], [new IpInfo("10.0.1.1", 26000)]))])),
        ["link to an endpoint nobody listens on"] = (LlmStatus.LinkFailed, "did not link and were rolled back",
            async s => await s.Decoder.LinkLlmClustersAsync([new ClusterInfo(7, LlmRole.Prompt, [new IpInfo("10.0.0.2", 0)], [new IpInfo("10.0.9.9", 26000)])])),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_failure_says_which_rule_it_broke(string scenario)
    {
        var (status, reason, call) = Scenarios[scenario];
        using var world = new SimulatedWorld(seed: 5, Topology.A2(servers: 2));
        var fabric = new SimulatedFabric(world, EngineProfile.CE);
        var error = world.Run(async () =>
        {
            await using var setup = await Setup.CreateAsync(world, fabric);
            return await Assert.ThrowsAnyAsync<LlmDataDistException>(() => call(setup));
        });

        Assert.Equal(status, error.Status);
        Assert.NotNull(error.Reason);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
        Assert.Contains(error.Reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_Initialize_does_not_advise_calling_Initialize_first()
    {
        using var world = new SimulatedWorld(seed: 5, Topology.A2(servers: 2));
        var fabric = new SimulatedFabric(world, EngineProfile.CE);
        var error = world.Run(async () =>
        {
            await using var setup = await Setup.CreateAsync(world, fabric);
            return await Assert.ThrowsAnyAsync<LlmDataDistException>(() => setup.Fresh(LlmRole.Decoder).InitializeAsync(new LlmDataDistOptions { DeviceId = 99 }).AsTask());
        });

        Assert.DoesNotContain("Initialize the instance first", error.Message, StringComparison.Ordinal);
        Assert.Contains("Initialize itself failed", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A CE prompt (server 0) and decoder (server 1), linked, each with a small cache.</summary>
    internal sealed class Setup : IAsyncDisposable
    {
        private readonly SimulatedFabric _fabric;
        private readonly List<LlmDataDistClient> _clients = [];

        private Setup(SimulatedFabric fabric) => _fabric = fabric;

        public LlmDataDistClient Decoder { get; private set; } = null!;

        public Cache PromptCache { get; private set; } = null!;

        public Cache DecoderCache { get; private set; } = null!;

        public static async Task<Setup> CreateAsync(SimulatedWorld world, SimulatedFabric fabric)
        {
            var setup = new Setup(fabric);
            var options = new LlmDataDistClientOptions { TimeProvider = world.TimeProvider };
            var prompt = setup.Track(LlmDataDistClient.Create(fabric.Factory(server: 0), 1, LlmRole.Prompt, options));
            setup.Decoder = setup.Track(LlmDataDistClient.Create(fabric.Factory(server: 1), 2, LlmRole.Decoder, options));
            await prompt.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, ListenIpInfo = PromptEndpoint });
            await setup.Decoder.InitializeAsync(new LlmDataDistOptions { DeviceId = 0 });
            await setup.Decoder.LinkLlmClustersAsync([ToPrompt]);
            setup.PromptCache = await prompt.AllocateCacheAsync(Small);
            setup.DecoderCache = await setup.Decoder.AllocateCacheAsync(Small);
            return setup;
        }

        /// <summary>A new, not yet initialized instance on server 1 (cluster 3).</summary>
        public LlmDataDistClient Fresh(LlmRole role) => Track(LlmDataDistClient.Create(_fabric.Factory(server: 1), 3, role));

        public async ValueTask DisposeAsync()
        {
            foreach (var client in _clients)
            {
                await client.DisposeAsync();
            }
        }

        private LlmDataDistClient Track(LlmDataDistClient client)
        {
            _clients.Add(client);
            return client;
        }
    }
}
