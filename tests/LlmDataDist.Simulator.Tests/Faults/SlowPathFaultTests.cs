using LlmDataDist.Simulator.Semantics;
using static LlmDataDist.Samples.Simulated.SimulatedKit;
using static LlmDataDist.Simulator.Tests.Faults.FaultScenario;

namespace LlmDataDist.Simulator.Tests.Faults;

/// <summary>
/// Latency spikes and slow devices: calls take longer in virtual time by what the model says, and time out (with
/// the destination untouched and the link Faulted) when that exceeds their budget. Each measurement is compared with
/// the same scenario and seed without the fault, so the seeded jitter cancels out exactly.
/// </summary>
public sealed class SlowPathFaultTests
{
    private const long Ms = SimTime.NsPerMs;

    /// <summary>Runs set-up, then one pull at <paramref name="atNs"/>, and returns its status and duration.</summary>
    private static (LlmStatus Status, long ElapsedNs) PullAt(EngineProfile profile, FaultPlan plan, long atNs, Func<FaultScenario, Task>? after = null)
    {
        using var s = new FaultScenario(profile, plan);
        (LlmStatus, long) result = default;
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(atNs);
            var (status, elapsed, source, before) = await s.PullAsync();
            if (status == LlmStatus.Success)
            {
                s.AssertExactly(source!, before, [(2, 5)]);
            }
            else
            {
                s.AssertUnchanged(before);
            }

            result = (status, elapsed);
            if (after is not null)
            {
                await after(s);
            }
        });
        return result;
    }

    [Theory]
    [MemberData(nameof(Profiles), MemberType = typeof(FaultScenario))]
    public void Latency_spike_adds_its_latency_to_a_pull_and_one_beyond_the_budget_times_out_until_relinked(EngineProfile profile)
    {
        var hop = $"npu{DecoderNpu}.roce.rx";
        var spike = 3 * Ms;
        var (baseStatus, baseNs) = PullAt(profile, FaultPlan.None, 12 * Ms);
        var (spikedStatus, spikedNs) = PullAt(profile, FaultPlan.Scripted(new LatencySpikeFault(hop, 10 * Ms, 14 * Ms, spike)), 12 * Ms);
        Assert.Equal(LlmStatus.Success, baseStatus);
        Assert.Equal(LlmStatus.Success, spikedStatus);
        Assert.Equal(baseNs + spike, spikedNs); // same seed, same jitter draws: exactly the spike more

        var (status, elapsed) = PullAt(profile, FaultPlan.Scripted(new LatencySpikeFault(hop, 10 * Ms, 20 * Ms, BudgetNs + Ms)), 12 * Ms, async s =>
        {
            await s.PullTimesOutAsync(); // the spike is over, the link is Faulted
            await s.RecoverAsync();
            await s.PullSucceedsAsync();
        });
        Assert.Equal(profile == EngineProfile.CE ? LlmStatus.WaitProcTimeout : LlmStatus.Timeout, status);
        Assert.Equal(BudgetNs, elapsed);
    }

    [Theory]
    [InlineData(EngineProfile.CE, LlmStatus.LinkFailed, LlmStatus.WaitProcTimeout)]
    [InlineData(EngineProfile.HX, LlmStatus.Timeout, LlmStatus.Timeout)]
    public void A_handshake_slower_than_the_link_timeout_fails_the_link_at_its_timeout_and_a_later_link_works(EngineProfile profile, LlmStatus overall, LlmStatus cluster)
    {
        using var s = new FaultScenario(profile, FaultPlan.Scripted(new LatencySpikeFault("*", 0, 150 * Ms, 200 * Ms)));
        s.Run(async s =>
        {
            await s.SetUpAsync(link: false);
            var decoder = s.Client(s.Decoder);
            var start = s.World.NowNs;
            var ex = await Assert.ThrowsAnyAsync<LlmDataDistException>(() => decoder.LinkLlmClustersAsync([DecoderToPrompt], TimeSpan.FromMilliseconds(LinkTimeoutMs)).AsTask());
            Assert.Equal(LinkTimeoutMs * Ms, s.World.NowNs - start);
            Assert.Equal(overall, ex.Status);
            Assert.Equal([new ClusterResult(PromptId, cluster)], ex.Clusters!);
            Assert.Empty(s.DecoderInstance.LinkedClusterIds);

            await s.DelayUntilAsync(150 * Ms);
            await s.RecoverAsync();
            await s.PullSucceedsAsync();
        });
    }

    [Theory]
    [MemberData(nameof(Profiles), MemberType = typeof(FaultScenario))]
    public void Slow_device_makes_its_transfers_take_factor_times_as_long_and_a_huge_factor_times_out_until_relinked(EngineProfile profile)
    {
        var (_, baseNs) = PullAt(profile, FaultPlan.None, 12 * Ms);
        var (slowStatus, slowNs) = PullAt(profile, FaultPlan.Scripted(new SlowDeviceFault(DecoderNpu, new Ratio(3, 1), 10 * Ms, 14 * Ms)), 12 * Ms);
        Assert.Equal(LlmStatus.Success, slowStatus);
        Assert.InRange(slowNs, (3 * baseNs) - 3, (3 * baseNs) + 3); // latency x3, descriptors x3, bandwidth / 3 (ns rounding)

        var (status, elapsed) = PullAt(profile, FaultPlan.Scripted(new SlowDeviceFault(PromptNpu, new Ratio(100_000, 1), 10 * Ms, 20 * Ms)), 12 * Ms, async s =>
        {
            await s.PullTimesOutAsync();
            await s.RecoverAsync();
            await s.PullSucceedsAsync();
        });
        Assert.Equal(profile == EngineProfile.CE ? LlmStatus.WaitProcTimeout : LlmStatus.Timeout, status);
        Assert.Equal(BudgetNs, elapsed);
    }
}
