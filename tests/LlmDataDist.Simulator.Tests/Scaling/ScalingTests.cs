using LlmDataDist.Conformance;
using LlmDataDist.Simulator.Backend;
using LlmDataDist.Simulator.Tests.Backend;

namespace LlmDataDist.Simulator.Tests.Scaling;

/// <summary>
/// Cost cliffs (issue 8 item 6), measured as operation counts, never wall time: the memory bookkeeping of allocating
/// and freeing a cache grows linearly with its tensor count and with the number of caches, and a block transfer
/// costs the event loop the same number of steps whatever its block count.
/// </summary>
public sealed class ScalingTests
{
    private const int Small = 2_000;
    private const int Large = 16_000; // 8× Small: linear costs grow ~8×, quadratic ones ~64×

    /// <summary>Bookkeeping steps of allocating, then of deallocating, one cache of <paramref name="tensors"/> tensors on
    /// a device that already holds another cache below and above it (so a free has neighbours on both sides).</summary>
    private static (long Allocate, long Deallocate) CacheSteps(int tensors)
    {
        using var harness = new SimulatedHarness(ConformanceProfile.CE);
        (long, long) steps = default;
        harness.Run(async () =>
        {
            var backend = harness.Create(2, LlmRole.Decoder);
            Assert.Equal(LlmStatus.Success, await backend.InitializeAsync(new Dictionary<string, string> { [LlmOptionKeys.DeviceId] = "0" }));
            var space = harness.World.Memory.Device(0);
            Assert.Equal(LlmStatus.Success, (await backend.AllocateCacheAsync(Desc(64))).Status);
            var before = space.BookkeepingSteps;
            var big = await backend.AllocateCacheAsync(Desc(tensors));
            Assert.Equal(LlmStatus.Success, big.Status);
            var allocated = space.BookkeepingSteps - before;
            Assert.Equal(LlmStatus.Success, (await backend.AllocateCacheAsync(Desc(64))).Status);
            before = space.BookkeepingSteps;
            Assert.Equal(LlmStatus.Success, await backend.DeallocateCacheAsync(big.Cache.CacheId));
            steps = (allocated, space.BookkeepingSteps - before);
            Assert.Equal(128, space.Buffers.Count); // the neighbours survive, the big cache is gone
        });
        return steps;
    }

    private static CacheDesc Desc(int tensors) => new(CachePlacement.Device, (uint)tensors, DataType.Int8, [1, 512]);

    [Fact]
    public void Allocating_and_deallocating_a_cache_is_linear_in_its_tensor_count()
    {
        var small = CacheSteps(Small);
        var large = CacheSteps(Large);

        // 8× the tensors: at most 8× the steps, with slack for constant terms; the old one-by-one free shifted the
        // buffer list once per tensor and grew ~64×.
        Assert.True(large.Allocate <= 9 * small.Allocate, $"allocate: {small.Allocate} steps for {Small} tensors, {large.Allocate} for {Large}");
        Assert.True(large.Deallocate <= 9 * small.Deallocate, $"deallocate: {small.Deallocate} steps for {Small} tensors, {large.Deallocate} for {Large}");
        Assert.True(large.Deallocate <= 4L * Large, $"deallocate: {large.Deallocate} steps for {Large} tensors");
    }

    /// <summary>Many small caches, freed newest first (the usual request lifetime): the total bookkeeping is linear in
    /// the number of caches.</summary>
    [Fact]
    public void Allocating_and_deallocating_many_caches_is_linear_in_their_count()
    {
        long Steps(int caches)
        {
            using var harness = new SimulatedHarness(ConformanceProfile.CE);
            long steps = 0;
            harness.Run(async () =>
            {
                var backend = harness.Create(2, LlmRole.Decoder);
                Assert.Equal(LlmStatus.Success, await backend.InitializeAsync(new Dictionary<string, string> { [LlmOptionKeys.DeviceId] = "0" }));
                var ids = new List<long>();
                for (var i = 0; i < caches; i++)
                {
                    var allocated = await backend.AllocateCacheAsync(Desc(2));
                    Assert.Equal(LlmStatus.Success, allocated.Status);
                    ids.Add(allocated.Cache.CacheId);
                }

                for (var i = ids.Count - 1; i >= 0; i--)
                {
                    Assert.Equal(LlmStatus.Success, await backend.DeallocateCacheAsync(ids[i]));
                }

                steps = harness.World.Memory.Device(0).BookkeepingSteps;
            });
            return steps;
        }

        var small = Steps(Small / 4);
        var large = Steps(Large / 4);
        Assert.True(large <= 9 * small, $"{small} steps for {Small / 4} caches, {large} for {Large / 4}");
    }

    /// <summary>A pull of many blocks is one priced flow: the event loop runs the same number of steps for 8 blocks as
    /// for 1024 (the bytes differ, the events do not).</summary>
    [Theory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void A_block_pull_costs_the_same_loop_steps_whatever_its_block_count(ConformanceProfile profile)
    {
        long Steps(int blocks)
        {
            using var harness = new SimulatedHarness(profile);
            long steps = 0;
            harness.Run(async () =>
            {
                var desc = new CacheDesc(CachePlacement.Device, 4, DataType.Int8, [1024, 64]);
                var prompt = harness.Create(1, LlmRole.Prompt, 0);
                var decoder = harness.Create(2, LlmRole.Decoder, 1);
                Assert.Equal(LlmStatus.Success, await prompt.InitializeAsync(new Dictionary<string, string> { [LlmOptionKeys.DeviceId] = "0", [LlmOptionKeys.ListenIpInfo] = "10.0.0.1:26000" }));
                Assert.Equal(LlmStatus.Success, await decoder.InitializeAsync(new Dictionary<string, string> { [LlmOptionKeys.DeviceId] = "0" }));
                var source = await CacheAsync(harness, prompt, 0, desc);
                var destination = await CacheAsync(harness, decoder, 1, desc);
                var cluster = new ClusterInfo { RemoteClusterId = 1, LocalIpInfos = [new IpInfo { Ip = "10.0.0.2" }], RemoteIpInfos = [new IpInfo { Ip = "10.0.0.1", Port = 26000 }] };
                Assert.Equal(LlmStatus.Success, (await decoder.LinkLlmClustersAsync([cluster], 1000)).Status);
                var list = Enumerable.Range(0, blocks).Select(b => (ulong)b).ToArray();
                // Warm up (HX reads the peer's cache table at the first transfer), then count one pull.
                Assert.Equal(LlmStatus.Success, await decoder.PullKvBlocksAsync(new CacheIndex(1, source.CacheId, 0), destination, [0], [0], new KvCacheExtParam()));
                var before = harness.World.Loop.StepCount;
                Assert.Equal(LlmStatus.Success, await decoder.PullKvBlocksAsync(new CacheIndex(1, source.CacheId, 0), destination, list, list, new KvCacheExtParam()));
                steps = harness.World.Loop.StepCount - before;
            });
            return steps;
        }

        Assert.Equal(Steps(8), Steps(1024));
    }

    private static async Task<Cache> CacheAsync(SimulatedHarness h, ILlmDataDistBackend backend, int server, CacheDesc desc)
    {
        if (h.Profile == ConformanceProfile.CE)
        {
            var allocated = await backend.AllocateCacheAsync(desc);
            Assert.Equal(LlmStatus.Success, allocated.Status);
            return allocated.Cache;
        }

        var addresses = Enumerable.Range(0, (int)desc.NumTensors).Select(_ => h.AllocateDeviceMemory(server, 0, 1024 * 64)).ToArray();
        var registered = await backend.RegisterKvCacheAsync(desc, addresses, new RegisterCfg());
        Assert.Equal(LlmStatus.Success, registered.Status);
        return new Cache(registered.CacheId, addresses, desc);
    }
}
