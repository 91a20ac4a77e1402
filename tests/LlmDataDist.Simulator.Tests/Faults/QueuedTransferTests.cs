using LlmDataDist.Simulator.Semantics;
using static LlmDataDist.Samples.Simulated.SimulatedKit;
using static LlmDataDist.Simulator.Tests.Faults.FaultScenario;

namespace LlmDataDist.Simulator.Tests.Faults;

/// <summary>
/// A transfer that waited for its link (§10: CE's per-kind device queue, HX's per-link lock) behind one that timed out
/// finds the link Faulted when its turn comes (§6.5): it fails with the engine's timeout after its own full wait
/// (CE WAIT_PROC_TIMEOUT, HX TIMEOUT) and moves no byte, even though the network healed while it waited.
/// </summary>
public sealed class QueuedTransferTests
{
    private const long Ms = SimTime.NsPerMs;
    private const string DecoderPort = "npu8.roce.rx";

    /// <summary>The decoder's RoCE port is down from 10 ms to 20 ms: a pull started at 12 ms is lost, its call returns at
    /// 62 ms; by then the port has been up for 42 ms.</summary>
    private static FaultPlan PortDownBriefly => FaultPlan.Scripted(new LinkDownFault(DecoderPort, AtNs: 10 * Ms, ForNs: 10 * Ms));

    private static Task<LlmStatus> PullAsync(FaultScenario s, uint row) =>
        s.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, s.Source.CacheId, row), s.Destination, row, -1, new KvCacheExtParam()).AsTask();

    private static Task<(LlmStatus Status, long EndNs)> Timed(FaultScenario s, Task<LlmStatus> call) =>
        call.ContinueWith(t => (t.Result, s.World.NowNs), TaskScheduler.FromCurrentSynchronizationContext());

    [Theory]
    [MemberData(nameof(Profiles), MemberType = typeof(FaultScenario))]
    public void A_pull_queued_behind_a_pull_that_times_out_fails_with_the_engines_timeout_and_moves_no_byte(EngineProfile profile)
    {
        using var s = new FaultScenario(profile, PortDownBriefly);
        s.Run(async s =>
        {
            await s.SetUpAsync();
            Fill(s.World, s.Source, 0x5A);
            Fill(s.World, s.Destination, 0xA5);
            var before = TryRead(s.World, s.Destination)!;
            var transfersBefore = s.TransfersOver(DecoderPort).Count;

            await s.DelayUntilAsync(12 * Ms);
            var first = Timed(s, PullAsync(s, 1));
            await s.DelayUntilAsync(13 * Ms);
            var second = Timed(s, PullAsync(s, 3)); // waits for the link behind the first

            Assert.Equal((s.TimeoutStatus, 12 * Ms + BudgetNs), await first);
            Assert.True(s.World.Network.IsLinkUp(s.World.Topology.GetLink(DecoderPort).Id), "the port healed long before the second pull's turn");
            Assert.Equal((s.TimeoutStatus, 13 * Ms + BudgetNs), await second); // the engine's full wait, not an early answer
            s.AssertUnchanged(before);
            Assert.Single(s.TransfersOver(DecoderPort).Skip(transfersBefore)); // only the first pull's bytes were ever sent
            var faulted = Assert.Single(s.World.Trace.Events, e => e.Name == "LinkFaulted");
            Assert.Equal((12 * Ms) + BudgetNs, faulted.TimeNs); // by the first pull, when its wait ended

            // Faulted until rebuilt, then usable again.
            await s.PullTimesOutAsync();
            await s.RecoverAsync();
            await s.PullSucceedsAsync();
        });
    }
}
