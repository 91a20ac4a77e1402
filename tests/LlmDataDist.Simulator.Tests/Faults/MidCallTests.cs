using LlmDataDist.Simulator.Semantics;
using static LlmDataDist.Samples.Simulated.SimulatedKit;

namespace LlmDataDist.Simulator.Tests.Faults;

/// <summary>
/// Issue 8 item 5: a crash, Finalize or Dispose of either side in the middle of a call ends the call with a defined
/// status, never the simulation (the HX handshake once threw a NullReferenceException when its own instance crashed,
/// seed 869378315). Every await point class of every call that waits: the link handshake (request, answer, set-up),
/// the unlink notice, a pull, a push, and a CE device request. The statuses (docs/simulator-backend.md):
/// own instance gone → FAILED (§5.1: a finalized instance answers FAILED); peer gone during a handshake →
/// LINK_FAILED; peer gone during a transfer → the engine's timeout at the end of the budget (half-open, §6.2); peer
/// gone during an unlink notice → SUCCESS (its record is gone too).
/// </summary>
public sealed class MidCallTests
{
    /// <summary>Every call starts at this virtual time, after the set-up; disruptions are offsets from it.</summary>
    private const long T0 = 1000 * SimTime.NsPerMs;

    /// <summary>Every hop costs 1 ms more from T0, so each message and transfer is in flight long enough to be hit.</summary>
    private const long SpikeNs = SimTime.NsPerMs;

    public enum Disruption
    {
        OwnCrash,
        OwnFinalize,
        OwnDispose,
        PeerCrash,
        PeerFinalize,
        PeerDispose,
    }

    private static bool IsOwn(Disruption d) => d is Disruption.OwnCrash or Disruption.OwnFinalize or Disruption.OwnDispose;

    public static IEnumerable<object[]> Cases(params long[] offsetsUs) =>
        from profile in new[] { EngineProfile.CE, EngineProfile.HX }
        from disruption in Enum.GetValues<Disruption>()
        from offset in offsetsUs
        select new object[] { profile, disruption, offset };

    public static IEnumerable<object[]> LinkCases => Cases(500, 1_500, 3_000); // request, answer, set-up in flight

    public static IEnumerable<object[]> TransferCases => Cases(500, 1_500);

    /// <summary>A scenario where <paramref name="caller"/> (decoder or prompt) makes one call at T0 and
    /// <paramref name="disruption"/> hits it or its peer <paramref name="offsetUs"/> µs later.</summary>
    private static FaultScenario Scenario(EngineProfile profile, Disruption disruption, long offsetUs, bool callerIsDecoder, params ScheduledFault[] extra)
    {
        var at = T0 + (offsetUs * SimTime.NsPerUs);
        var target = callerIsDecoder == IsOwn(disruption) ? DecoderId : PromptId;
        var plan = FaultPlan.Scripted([new LatencySpikeFault("*", T0, long.MaxValue, SpikeNs), .. extra]);
        if (disruption is Disruption.OwnCrash or Disruption.PeerCrash)
        {
            plan = plan.With(new ClusterCrashFault(target, at));
        }

        var s = new FaultScenario(profile, plan);
        if (disruption is not (Disruption.OwnCrash or Disruption.PeerCrash))
        {
            var backend = target == DecoderId ? s.Decoder : s.Prompt;
            s.World.Loop.At(at, () =>
            {
                if (disruption is Disruption.OwnDispose or Disruption.PeerDispose)
                {
                    backend.Dispose();
                }
                else
                {
                    backend.ShutdownAsync().AsTask().GetAwaiter().GetResult(); // completes synchronously in the simulator
                }
            });
        }

        return s;
    }

    [Theory]
    [MemberData(nameof(LinkCases))]
    public void A_link_whose_side_goes_down_mid_handshake_ends_with_a_defined_status(EngineProfile profile, Disruption disruption, long offsetUs)
    {
        using var s = Scenario(profile, disruption, offsetUs, callerIsDecoder: true);
        s.Run(async s =>
        {
            await s.SetUpAsync(link: false);
            await s.DelayUntilAsync(T0);
            var link = await s.Decoder.LinkLlmClustersAsync([DecoderToPrompt], FaultScenario.LinkTimeoutMs);

            var expected = IsOwn(disruption) ? LlmStatus.Failed : LlmStatus.LinkFailed;
            Assert.Equal(expected, link.Status);
            Assert.Equal([expected], link.Rets);
            Assert.Empty(s.DecoderInstance.LinkedClusterIds);
        });
    }

    [Theory]
    [MemberData(nameof(TransferCases))]
    public void A_pull_whose_side_goes_down_mid_transfer_ends_with_a_defined_status(EngineProfile profile, Disruption disruption, long offsetUs)
    {
        using var s = Scenario(profile, disruption, offsetUs, callerIsDecoder: true);
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(T0);
            var status = await s.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, s.Source.CacheId, 2), s.Destination, 5, -1, new KvCacheExtParam());

            Assert.Equal(IsOwn(disruption) ? LlmStatus.Failed : s.TimeoutStatus, status);
            Assert.Equal(IsOwn(disruption) ? s.World.NowNs : T0 + FaultScenario.BudgetNs, s.World.NowNs);
        });
    }

    [Theory]
    [MemberData(nameof(TransferCases))]
    public void A_push_whose_side_goes_down_mid_transfer_ends_with_a_defined_status(EngineProfile profile, Disruption disruption, long offsetUs)
    {
        using var s = Scenario(profile, disruption, offsetUs, callerIsDecoder: false);
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(T0);
            var status = await s.Prompt.PushKvCacheAsync(s.Source, new CacheIndex(DecoderId, s.Destination.CacheId, 1), 0, -1, new KvCacheExtParam());

            Assert.Equal(IsOwn(disruption) ? LlmStatus.Failed : s.TimeoutStatus, status);
            if (!IsOwn(disruption))
            {
                Assert.Equal(T0 + FaultScenario.BudgetNs, s.World.NowNs);
            }
        });
    }

    [Theory]
    [MemberData(nameof(TransferCases))]
    public void An_unlink_whose_side_goes_down_mid_notice_ends_with_a_defined_status(EngineProfile profile, Disruption disruption, long offsetUs)
    {
        using var s = Scenario(profile, disruption, offsetUs, callerIsDecoder: true);
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(T0);
            var unlink = await s.Decoder.UnlinkLlmClustersAsync([DecoderToPrompt], FaultScenario.LinkTimeoutMs, forceFlag: false);

            var expected = IsOwn(disruption) ? LlmStatus.Failed : LlmStatus.Success;
            Assert.Equal(expected, unlink.Status);
            Assert.Equal([expected], unlink.Rets);
            Assert.Empty(s.DecoderInstance.LinkedClusterIds);
        });
    }

    /// <summary>CE device requests wait in virtual time only when the device does not answer: the instance going down
    /// meanwhile ends the request with FAILED (at the end of its budget) and changes nothing.</summary>
    [Theory]
    [InlineData(Disruption.OwnCrash)]
    [InlineData(Disruption.OwnFinalize)]
    [InlineData(Disruption.OwnDispose)]
    public void A_ce_device_request_whose_instance_goes_down_ends_with_failed(Disruption disruption)
    {
        using var s = Scenario(EngineProfile.CE, disruption, 10_000, callerIsDecoder: true, new DeviceUnresponsiveFault(FaultScenario.DecoderNpu, T0));
        s.Run(async s =>
        {
            await s.SetUpAsync(link: false);
            await s.DelayUntilAsync(T0);
            var allocated = await s.Decoder.AllocateCacheAsync(FaultScenario.Desc);

            Assert.Equal(LlmStatus.Failed, allocated.Status);
            Assert.Equal(T0 + FaultScenario.BudgetNs, s.World.NowNs); // the host's wait runs out its budget, then sees the instance gone
        });
    }
}
