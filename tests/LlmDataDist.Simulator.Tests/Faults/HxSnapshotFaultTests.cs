using LlmDataDist.Simulator.Semantics;
using static LlmDataDist.Simulator.Tests.Faults.FaultScenario;

namespace LlmDataDist.Simulator.Tests.Faults;

/// <summary>HX's first transfer over a link first reads the peer's cache table (§9.17); a fault there.</summary>
public sealed class HxSnapshotFaultTests
{
    private const long Ms = SimTime.NsPerMs;

    [Fact]
    public void HX_a_first_pull_whose_cache_table_read_is_lost_times_out_after_the_budget_with_nothing_written()
    {
        using var s = new FaultScenario(EngineProfile.HX, FaultPlan.Scripted(new LinkDownFault($"npu{DecoderNpu}.roce.rx", AtNs: 10 * Ms, ForNs: 20 * Ms)));
        s.Run(async s =>
        {
            await s.SetUpAsync(warmUp: false);
            await s.DelayUntilAsync(10 * Ms);
            await s.PullTimesOutAsync();
        });
    }

    [Fact]
    public void HX_a_lost_cache_table_read_leaves_the_link_faulted_like_a_lost_data_transfer()
    {
        using var s = new FaultScenario(EngineProfile.HX, FaultPlan.Scripted(new LinkDownFault($"npu{DecoderNpu}.roce.rx", AtNs: 10 * Ms, ForNs: 20 * Ms)));
        s.Run(async s =>
        {
            await s.SetUpAsync(warmUp: false);
            await s.DelayUntilAsync(10 * Ms);
            await s.PullTimesOutAsync();
            await s.PullTimesOutAsync(); // the network healed at 30 ms; the link must stay Faulted
            await s.RecoverAsync();
            await s.PullSucceedsAsync();
        });
    }
}
