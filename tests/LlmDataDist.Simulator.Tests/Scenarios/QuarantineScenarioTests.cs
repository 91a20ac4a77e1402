using LlmDataDist.Simulator.Scenarios;

namespace LlmDataDist.Simulator.Tests.Scenarios;

/// <summary>
/// The runner's recovery under the opt-in late-landing fault: 2P2D, real bytes, prompt 0's RoCE port flapping, the
/// documented recovery starting 250 ms after a timeout. Without quarantine, freed blocks of a timed-out pull are handed
/// to another request while the late bytes still land; with it, no request is served foreign KV.
/// </summary>
public sealed class QuarantineScenarioTests
{
    private const long Ms = SimTime.NsPerMs;

    private static readonly ScenarioSpec Flapping = ScenarioSpec.Default with
    {
        Prompts = 2,
        Decoders = 2,
        Model = KvModel.Tiny,
        MetadataOnly = false,
        BlocksPerInstance = 4096,
        RequestsPerSecond = 40,
        DurationNs = 1500 * Ms,
        OutputTokensMean = 32,
        PullRetries = 1,
        Faults = FaultPlan.Scripted(new LinkFlapFault("npu0.roce.tx", 300 * Ms, 600 * Ms, 100 * Ms)),
        LateLanding = true,
        RecoveryDelayNs = 250 * Ms,
    };

    private static ScenarioResult Run(ScenarioSpec spec)
    {
        var (scenario, result) = DisaggregatedScenario.Run(spec);
        scenario.Dispose();
        return result;
    }

    [Fact]
    public void Without_quarantine_a_late_landing_reaches_a_request_that_reused_the_blocks_and_is_reported_corrupted()
    {
        var result = Run(Flapping with { Seed = 1, Quarantine = false });
        Assert.True(result.Corrupted > 0, $"no corrupted request: {string.Join(", ", result.Outcomes)}");
        Assert.Equal(0, result.BlocksQuarantined);
        Assert.Contains("LateLandingFault", result.Faults, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    public void With_quarantine_until_the_teardown_no_request_is_corrupted_and_the_cost_is_counted(ulong seed)
    {
        var result = Run(Flapping with { Seed = seed });
        Assert.Equal(0, result.Corrupted);
        Assert.Equal(result.Succeeded, result.Verified);
        Assert.True(result.BlocksQuarantined > 0);
        Assert.True(result.QuarantineBlockNs >= result.QuarantinePeakBlocks * 250 * Ms, "quarantined blocks wait at least the recovery delay");
        Assert.Equal(0, result.QuarantinedAtEnd);
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(7UL)]
    [InlineData(23UL)]
    public void Under_chaos_with_late_landing_the_quarantined_recovery_serves_exact_bytes(ulong chaos)
    {
        var result = Run(ScenarioSpec.Default with
        {
            DurationNs = 300 * Ms, OutputTokensMean = 4, Model = KvModel.Tiny, MetadataOnly = false, ChaosSeed = chaos, RequestsPerSecond = 60, LateLanding = true,
        });
        Assert.Equal(0, result.Corrupted);
        Assert.Equal(result.Succeeded, result.Verified);
        Assert.Contains("lateLanding: true", result.Faults, StringComparison.Ordinal);
    }
}
