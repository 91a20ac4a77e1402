using LlmDataDist.Simulator.Semantics;
using static LlmDataDist.Samples.Simulated.SimulatedKit;
using static LlmDataDist.Simulator.Tests.Faults.FaultScenario;

namespace LlmDataDist.Simulator.Tests.Faults;

/// <summary>
/// Issue 8 item 1, reference §10: who may transfer over a link while another transfer is in flight. These need virtual
/// time to put one call inside another deterministically, so they live in the simulator's suite (on hardware the same
/// rules hold, but the interleaving cannot be forced). CE: a link is one lock for both directions (LINK_BUSY when the
/// peer's request holds it), device requests of one kind are served one at a time. HX: one side's pulls and pushes over
/// a link take turns (no bandwidth sharing), and all pushes of an instance take turns.
/// </summary>
public sealed class ConcurrencyRuleTests
{
    private const long T0 = 1000 * SimTime.NsPerMs;

    /// <summary>Every hop costs 1 ms more from T0, so a transfer is in flight long enough to overlap another call.</summary>
    private static FaultPlan Slow => FaultPlan.Scripted(new LatencySpikeFault("*", T0, long.MaxValue, SimTime.NsPerMs));

    private static Task<LlmStatus> PullAsync(FaultScenario s, uint row) =>
        s.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, s.Source.CacheId, row), s.Destination, row, -1, new KvCacheExtParam()).AsTask();

    private static Task<LlmStatus> PushAsync(FaultScenario s, uint row) =>
        s.Prompt.PushKvCacheAsync(s.Source, new CacheIndex(DecoderId, s.Destination.CacheId, row), row, -1, new KvCacheExtParam()).AsTask();

    /// <summary>Equal up to the model's seeded jitter (well under 1 %).</summary>
    private static void AssertAbout(long expected, long actual) =>
        Assert.True(Math.Abs(expected - actual) * 100 <= expected, $"expected about {expected} ns, got {actual} ns");

    [Fact]
    public void CE_a_push_over_a_link_busy_serving_the_peers_pull_is_link_busy_at_once_and_the_pull_completes()
    {
        using var s = new FaultScenario(EngineProfile.CE, Slow);
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(T0);
            var pull = PullAsync(s, 1);

            Assert.Equal(LlmStatus.LinkBusy, await PushAsync(s, 2)); // not success, not WAIT_PROC_TIMEOUT
            Assert.Equal(T0, s.World.NowNs);
            Assert.Equal(LlmStatus.Success, await pull);
            Assert.Equal(LlmStatus.Success, await PushAsync(s, 2)); // the link is free again
        });
    }

    [Fact]
    public void CE_a_pull_over_a_link_busy_serving_the_peers_push_is_link_busy()
    {
        using var s = new FaultScenario(EngineProfile.CE, Slow);
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(T0);
            var push = PushAsync(s, 3);

            Assert.Equal(LlmStatus.LinkBusy, await PullAsync(s, 4));
            Assert.Equal(LlmStatus.Success, await push);
        });
    }

    [Fact]
    public void CE_a_server_unlink_while_the_peer_pulls_is_link_busy_per_cluster()
    {
        using var s = new FaultScenario(EngineProfile.CE, Slow);
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(T0);
            var pull = PullAsync(s, 1);

            var unlink = await s.Prompt.UnlinkLlmClustersAsync([PromptToDecoder], LinkTimeoutMs, forceFlag: false);
            Assert.Equal([LlmStatus.LinkBusy], unlink.Rets); // one resource: the decoder's transfer holds the prompt's side too
            Assert.Equal(LlmStatus.UnlinkFailed, unlink.Status);
            Assert.Equal(LlmStatus.Success, await pull);
        });
    }

    [Theory]
    [MemberData(nameof(Profiles), MemberType = typeof(FaultScenario))]
    public void Two_pulls_over_one_link_take_turns_instead_of_sharing_bandwidth(EngineProfile profile)
    {
        using var s = new FaultScenario(profile, Slow);
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(T0);
            var alone = await PullAsync(s, 1) == LlmStatus.Success ? s.World.NowNs - T0 : -1;
            await s.DelayUntilAsync(T0 + (100 * SimTime.NsPerMs));
            var start = s.World.NowNs;
            var first = PullAsync(s, 2).ContinueWith(t => (t.Result, s.World.NowNs), TaskScheduler.FromCurrentSynchronizationContext());
            var second = PullAsync(s, 3).ContinueWith(t => (t.Result, s.World.NowNs), TaskScheduler.FromCurrentSynchronizationContext());
            var (firstStatus, firstEnd) = await first;
            var (secondStatus, secondEnd) = await second;

            Assert.Equal((LlmStatus.Success, LlmStatus.Success), (firstStatus, secondStatus));
            // CE: the pull requests queue per kind; HX: the per-link lock. Either way the first ends as if alone and the
            // second runs after it (shared bandwidth would end both at about twice the time).
            AssertAbout(alone, firstEnd - start);
            Assert.True(secondEnd - start >= 2 * alone * 99 / 100, $"alone {alone} ns, second ended after {secondEnd - start} ns");
        });
    }

    [Fact]
    public void HX_pushes_of_one_instance_take_turns()
    {
        using var s = new FaultScenario(EngineProfile.HX, Slow);
        s.Run(async s =>
        {
            await s.SetUpAsync();
            Assert.Equal(LlmStatus.Success, await PushAsync(s, 1)); // the first push reads the decoder's cache table
            await s.DelayUntilAsync(T0);
            Assert.Equal(LlmStatus.Success, await PushAsync(s, 1));
            var alone = s.World.NowNs - T0;
            await s.DelayUntilAsync(T0 + (100 * SimTime.NsPerMs));
            var start = s.World.NowNs;
            var first = PushAsync(s, 2);
            var second = PushAsync(s, 3);
            Assert.Equal(LlmStatus.Success, await first);
            AssertAbout(alone, s.World.NowNs - start);
            Assert.Equal(LlmStatus.Success, await second);
            Assert.True(s.World.NowNs - start >= 2 * alone * 99 / 100, $"alone {alone} ns, both after {s.World.NowNs - start} ns");
        });
    }

    [Fact]
    public void HX_a_pull_and_a_push_over_one_link_from_both_sides_both_complete()
    {
        // HX's per-link locks are each side's own (unlike CE's one lock per link): the peer's push does not make a pull
        // busy; both complete with exact bytes.
        using var s = new FaultScenario(EngineProfile.HX, Slow);
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(T0);
            var pull = PullAsync(s, 1);
            var push = PushAsync(s, 2);
            Assert.Equal(LlmStatus.Success, await pull);
            Assert.Equal(LlmStatus.Success, await push);
        });
    }
}
