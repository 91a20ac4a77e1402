using LlmDataDist.Simulator.Semantics;
using static LlmDataDist.Samples.Simulated.SimulatedKit;
using static LlmDataDist.Simulator.Tests.Faults.FaultScenario;

namespace LlmDataDist.Simulator.Tests.Faults;

/// <summary>
/// The opt-in late-landing fault (a pessimistic hardware possibility, not a reference rule): a pull that returned the
/// engine's timeout leaves the destination unchanged when it returns, then its bytes land at drawn later times, until
/// the link that carried it is torn down; after that nothing of it lands.
/// </summary>
public sealed class LateLandingFaultTests
{
    private const long Ms = SimTime.NsPerMs;

    // The decoder's RoCE receive port is down from 10 ms to 50 ms: a pull made at 12 ms times out at 62 ms.
    private static FaultPlan Plan(LateLandingFault late) =>
        FaultPlan.Scripted(new LinkDownFault($"npu{DecoderNpu}.roce.rx", AtNs: 10 * Ms, ForNs: 40 * Ms), late);

    private static readonly LateLandingFault Whole = new(Ratio.One, Ratio.One, WithinNs: 10 * Ms);

    [Theory]
    [MemberData(nameof(Profiles), MemberType = typeof(FaultScenario))]
    public void A_timed_out_pull_changes_nothing_when_it_returns_then_its_bytes_land_later(EngineProfile profile)
    {
        using var s = new FaultScenario(profile, Plan(Whole));
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(12 * Ms);
            var (status, elapsed, source, before) = await s.PullAsync();
            Assert.Equal(s.TimeoutStatus, status);
            Assert.Equal(BudgetNs, elapsed);
            s.AssertUnchanged(before); // the call's own effect is the reference's: nothing

            await s.DelayUntilAsync(s.World.NowNs + Whole.WithinNs);
            s.AssertExactly(source!, before, [(2, 5)]);
            var landed = s.World.Trace.Events.Single(e => e.Name == "LateLanded");
            Assert.InRange(landed.TimeNs, 62 * Ms + 1, 62 * Ms + Whole.WithinNs);
            Assert.Equal("5", Arg(landed, "row"));
        });
    }

    [Theory]
    [MemberData(nameof(Profiles), MemberType = typeof(FaultScenario))]
    public void After_the_documented_recovery_nothing_of_the_timed_out_pull_lands(EngineProfile profile)
    {
        using var s = new FaultScenario(profile, Plan(Whole));
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(12 * Ms);
            var (status, _, _, before) = await s.PullAsync();
            Assert.Equal(s.TimeoutStatus, status);
            await s.RecoverAsync(); // force-unlink both sides, link again: a new link does not revive the old transfer

            await s.DelayUntilAsync(s.World.NowNs + Whole.WithinNs);
            s.AssertUnchanged(before);
            Assert.DoesNotContain(s.World.Trace.Events, e => e.Name == "LateLanded");
            Assert.Contains(s.World.Trace.Events, e => e.Name == "LateLandingVoided");
            await s.PullSucceedsAsync();
        });
    }

    [Theory]
    [MemberData(nameof(Profiles), MemberType = typeof(FaultScenario))]
    public void A_force_unlink_of_the_decoder_alone_tears_the_link_down_for_late_bytes(EngineProfile profile)
    {
        using var s = new FaultScenario(profile, Plan(Whole));
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(12 * Ms);
            var (status, _, _, before) = await s.PullAsync();
            Assert.Equal(s.TimeoutStatus, status);
            Assert.Equal(LlmStatus.Success, (await s.Decoder.UnlinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs, forceFlag: true)).Status);

            await s.DelayUntilAsync(s.World.NowNs + Whole.WithinNs);
            s.AssertUnchanged(before);
        });
    }

    [Theory]
    [MemberData(nameof(Profiles), MemberType = typeof(FaultScenario))]
    public void Blocks_land_one_by_one_so_a_pull_of_many_blocks_can_land_partly(EngineProfile profile)
    {
        var halves = new LateLandingFault(Ratio.One, new Ratio(1, 2), WithinNs: 10 * Ms);
        var partly = 0;
        for (var seed = 1UL; seed <= 6; seed++)
        {
            using var s = new FaultScenario(profile, Plan(halves), seed);
            s.Run(async s =>
            {
                await s.SetUpAsync();
                await s.DelayUntilAsync(12 * Ms);
                Fill(s.World, s.Source, 40);
                Fill(s.World, s.Destination, 41);
                var source = TryRead(s.World, s.Source)!;
                var before = TryRead(s.World, s.Destination)!;
                ulong[] blocks = [0, 1, 2, 3, 4, 5, 6, 7];
                var status = await s.Decoder.PullKvBlocksAsync(new CacheIndex(PromptId, s.Source.CacheId, 0), s.Destination, blocks, blocks, new KvCacheExtParam());
                Assert.Equal(s.TimeoutStatus, status);
                s.AssertUnchanged(before);

                await s.DelayUntilAsync(s.World.NowNs + halves.WithinNs);
                var landedRows = s.World.Trace.Events.Where(e => e.Name == "LateLanded").Select(e => long.Parse(Arg(e, "row"), System.Globalization.CultureInfo.InvariantCulture)).ToList();
                // Every block is whole: the prompt's bytes where it landed, the old bytes where it did not.
                s.AssertExactly(source, before, [.. landedRows.Select(r => (r, r))]);
                partly += landedRows.Count is > 0 and < 8 ? 1 : 0;
            });
        }

        Assert.True(partly > 0, "no seed of 1..6 landed a pull partly");
    }

    [Fact]
    public void Chaos_draws_late_landing_only_when_asked_and_leaves_every_other_fault_as_it_was()
    {
        for (var seed = 0UL; seed < 200; seed++)
        {
            var plain = FaultPlan.Chaos(seed, 16, [1, 2]);
            var late = FaultPlan.Chaos(seed, 16, [1, 2], lateLanding: true);
            Assert.DoesNotContain(plain.Script, f => f is LateLandingFault);
            Assert.Equal(plain.TransferDrop, late.TransferDrop);
            Assert.Equal(plain.Script, late.Script.Where(f => f is not LateLandingFault));
            Assert.IsType<LateLandingFault>(late.Script[^1]);
            Assert.Contains("lateLanding: true", late.Origin, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_bad_late_landing_fault_is_refused_when_the_world_is_built()
    {
        var topology = Topology.A2(servers: 2);
        Assert.Throws<ArgumentException>(() => new SimulatedWorld(1, topology, FaultPlan.Scripted(new LateLandingFault(new Ratio(3, 2), Ratio.One, Ms))));
        Assert.Throws<ArgumentException>(() => new SimulatedWorld(1, topology, FaultPlan.Scripted(new LateLandingFault(Ratio.One, Ratio.One, 0))));
        Assert.Throws<ArgumentException>(() => new SimulatedWorld(1, topology, FaultPlan.Scripted(Whole, Whole)));
    }
}
