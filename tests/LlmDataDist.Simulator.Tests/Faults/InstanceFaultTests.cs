using LlmDataDist.Simulator.Semantics;
using static LlmDataDist.Samples.Simulated.SimulatedKit;
using static LlmDataDist.Simulator.Tests.Faults.FaultScenario;

namespace LlmDataDist.Simulator.Tests.Faults;

/// <summary>Faults of instances and their resources: allocation failures and pool exhaustion, refused link
/// establishment, and a cluster that crashes and restarts.</summary>
public sealed class InstanceFaultTests
{
    private const long Ms = SimTime.NsPerMs;

    [Fact]
    public void CE_an_injected_allocation_failure_is_device_out_of_memory_through_the_client_and_a_retry_works()
    {
        // The 2nd HBM allocation on the decoder's NPU fails: the 2nd tensor of its first cache.
        using var s = new FaultScenario(EngineProfile.CE, FaultPlan.Scripted(new AllocationFailureFault(DecoderNpu, Nth: 2)));
        s.Run(async s =>
        {
            await s.Prompt.InitializeAsync(Options(listen: true));
            await s.Decoder.InitializeAsync(Options(listen: false));
            var decoder = s.Client(s.Decoder);
            var hbm = s.World.Memory.Device(DecoderNpu);
            var ex = await Assert.ThrowsAsync<LlmDeviceOutOfMemoryException>(() => decoder.AllocateCacheAsync(Desc).AsTask());
            Assert.Equal(LlmStatus.DeviceOutOfMemory, ex.Status);
            Assert.Equal(0, hbm.UsedBytes); // the tensor allocated before the failure was released
            Assert.Empty(s.DecoderInstance.CacheIds);

            var retried = await decoder.AllocateCacheAsync(Desc);
            Assert.Equal(2, retried.CacheId); // the failed call consumed id 1 (§9.8)
            var source = await s.CacheAsync(s.Prompt, server: 0);
            await s.LinkAsync();
            Fill(s.World, source, 9);
            await decoder.PullKvCacheAsync(new CacheIndex(PromptId, source.CacheId, 0), retried);
            Assert.Equal(TryRead(s.World, source)!.Select(t => t[..64]), TryRead(s.World, retried)!.Select(t => t[..64]));
        });
    }

    [Fact]
    public void HX_an_injected_allocation_failure_hits_the_callers_own_device_memory_before_registration()
    {
        using var s = new FaultScenario(EngineProfile.HX, FaultPlan.Scripted(new AllocationFailureFault(DecoderNpu, Nth: 1)));
        s.Run(async s =>
        {
            await s.Prompt.InitializeAsync(Options(listen: true));
            await s.Decoder.InitializeAsync(Options(listen: false));
            // HX has no AllocateCache: caches are caller memory, so the fault is the caller's allocation failing.
            Assert.Equal(LlmStatus.FeatureNotEnabled, (await s.Decoder.AllocateCacheAsync(Desc)).Status);
            Assert.Equal(AllocationStatus.FaultInjected, s.World.Memory.Device(DecoderNpu).Allocate(256).Status);
            Assert.Equal(AllocationStatus.Success, s.World.Memory.Device(DecoderNpu).Allocate(256).Status);
            await s.SetUpAsync(); // registers, links and pulls with exact bytes
        });
    }

    [Fact]
    public void CE_an_exhausted_device_pool_is_device_out_of_memory_until_a_cache_is_freed()
    {
        var perCache = Desc.NumTensors * ((TensorBytes(Desc) + MemorySpace.AlignmentBytes - 1) / MemorySpace.AlignmentBytes * MemorySpace.AlignmentBytes);
        using var s = new FaultScenario(EngineProfile.CE, FaultPlan.None);
        s.Run(async s =>
        {
            var pool = $$"""{"buf_pool_size": {{2 * perCache}}}""";
            await s.Decoder.InitializeAsync(Options(listen: false, (LlmOptionKeys.BufPoolCfg, pool)));
            var decoder = s.Client(s.Decoder);
            var first = await decoder.AllocateCacheAsync(Desc);
            await decoder.AllocateCacheAsync(Desc);
            await Assert.ThrowsAsync<LlmDeviceOutOfMemoryException>(() => decoder.AllocateCacheAsync(Desc).AsTask());
            await decoder.DeallocateCacheAsync(first.CacheId);
            await decoder.AllocateCacheAsync(Desc);
        });
    }

    [Theory]
    [MemberData(nameof(Profiles), MemberType = typeof(FaultScenario))]
    public void Refused_link_establishment_is_link_failed_with_no_record_on_either_side_and_linking_after_the_window_works(EngineProfile profile)
    {
        using var s = new FaultScenario(profile, FaultPlan.Scripted(new LinkEstablishmentFailureFault(DecoderId, PromptId, FromNs: 0, UntilNs: 20 * Ms)));
        s.Run(async s =>
        {
            await s.SetUpAsync(link: false);
            var decoder = s.Client(s.Decoder);
            var ex = await Assert.ThrowsAsync<LlmLinkFailedException>(() => decoder.LinkLlmClustersAsync([DecoderToPrompt], TimeSpan.FromMilliseconds(LinkTimeoutMs)).AsTask());
            Assert.Equal([new ClusterResult(PromptId, LlmStatus.LinkFailed)], ex.Clusters!);
            Assert.Empty(s.DecoderInstance.LinkedClusterIds);
            Assert.Empty(s.PromptInstance.LinkedClusterIds);
            Assert.Equal(LlmStatus.NotYetLink, (await s.PullAsync()).Status);

            await s.DelayUntilAsync(20 * Ms);
            var linked = await decoder.LinkLlmClustersAsync([DecoderToPrompt], TimeSpan.FromMilliseconds(LinkTimeoutMs));
            Assert.True(linked.AllSucceeded);
            await s.PullSucceedsAsync();
        });
    }

    [Theory]
    [MemberData(nameof(Profiles), MemberType = typeof(FaultScenario))]
    public void A_crashed_peer_leaves_the_survivor_half_open_until_it_restarts_and_both_sides_relink(EngineProfile profile)
    {
        using var s = new FaultScenario(profile, FaultPlan.Scripted(new ClusterCrashFault(PromptId, AtNs: 10 * Ms, RestartAtNs: 30 * Ms)));
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(12 * Ms);
            Assert.False(s.PromptInstance.IsInitialized);
            Assert.Equal(LlmStatus.Failed, await s.Prompt.InitializeAsync(Options(listen: true))); // down until restarted
            Assert.Contains(PromptId, s.DecoderInstance.LinkedClusterIds);
            if (profile == EngineProfile.HX)
            {
                // A non-force unlink must reach the peer's listener, which is gone: the local record stays (§6.5).
                var unlink = await s.Decoder.UnlinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs, forceFlag: false);
                Assert.Equal(LlmStatus.UnlinkFailed, unlink.Status);
                Assert.Contains(PromptId, s.DecoderInstance.LinkedClusterIds);
            }

            await s.PullTimesOutAsync(); // half-open
            Assert.True(s.World.NowNs >= 30 * Ms);
            Assert.True(s.PromptInstance.IsInitialized); // restarted with its options: listening, no caches, no links
            Assert.Empty(s.PromptInstance.CacheIds);
            Assert.Empty(s.PromptInstance.LinkedClusterIds);
            await s.PullTimesOutAsync(); // still half-open: the decoder's record outlived the restart

            await s.RecoverAsync();
            s.Source = await s.CacheAsync(s.Prompt, server: 0); // the crash took the old one
            Assert.Equal(1, s.Source.CacheId); // ids restart after the restart's Initialize
            await s.PullSucceedsAsync();
        });
    }
}
