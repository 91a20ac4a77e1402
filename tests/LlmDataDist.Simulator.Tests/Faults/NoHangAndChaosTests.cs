using LlmDataDist.Samples.Simulated;
using LlmDataDist.Simulator.Semantics;
using static LlmDataDist.Samples.Simulated.SimulatedKit;
using static LlmDataDist.Simulator.Tests.Faults.FaultScenario;

namespace LlmDataDist.Simulator.Tests.Faults;

/// <summary>
/// The invariants "every call completes within its timeout plus the model's slack in virtual time" and "a transfer
/// that reports success moved exactly the requested bytes", over a network that never comes back and over seeded
/// chaos plans.
/// </summary>
public sealed class NoHangAndChaosTests
{
    /// <summary>The model's slack: calls wait for their budget and no longer; the one extra wait the model has is CE's
    /// PROCESSING_LINK check (timeout_in_millis microseconds), far below this.</summary>
    private const long SlackNs = SimTime.NsPerMs;

    private const long Ms = SimTime.NsPerMs;

    public static IEnumerable<object[]> Seeds =>
        from seed in new ulong[] { 1, 2, 3, 4, 5, 6, 7, 8 }
        from profile in new[] { EngineProfile.CE, EngineProfile.HX }
        select new object[] { seed, profile };

    [Theory]
    [MemberData(nameof(Profiles), MemberType = typeof(FaultScenario))]
    public void Every_call_over_a_network_that_never_heals_returns_within_its_budget(EngineProfile profile)
    {
        using var s = new FaultScenario(profile, FaultPlan.Scripted(new LinkDownFault("*", AtNs: 10 * Ms)));
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(10 * Ms);
            var index = new CacheIndex(PromptId, s.Source.CacheId, 0);
            var calls = new List<(string Call, long ElapsedNs, long BudgetNs, LlmStatus Status)>();
            async Task Timed(string call, long budgetNs, Func<Task<LlmStatus>> run)
            {
                var start = s.World.NowNs;
                var status = await run();
                calls.Add((call, s.World.NowNs - start, budgetNs, status));
            }

            var ext = new KvCacheExtParam();
            await Timed("PullKvCache", BudgetNs, async () => await s.Decoder.PullKvCacheAsync(index, s.Destination, 0, -1, ext));
            await Timed("PullKvBlocks", BudgetNs, async () => await s.Decoder.PullKvBlocksAsync(index, s.Destination, [1, 2], [3, 4], ext));
            await Timed("PushKvCache", BudgetNs, async () => await s.Prompt.PushKvCacheAsync(s.Source, new CacheIndex(DecoderId, s.Destination.CacheId, 0), 0, -1, ext));
            await Timed("UnlinkLlmClusters", LinkTimeoutMs * Ms, async () => (await s.Decoder.UnlinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs, forceFlag: false)).Status);
            await Timed("UnlinkLlmClusters(force)", LinkTimeoutMs * Ms, async () => (await s.Decoder.UnlinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs, forceFlag: true)).Status);
            await Timed("LinkLlmClusters", LinkTimeoutMs * Ms, async () => (await s.Decoder.LinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs)).Status);

            // A caller's own deadline, in virtual time through the world's TimeProvider, ends a wait early.
            await s.Decoder.UnlinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs, forceFlag: true);
            await s.Prompt.UnlinkLlmClustersAsync([PromptToDecoder], LinkTimeoutMs, forceFlag: true);
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(5), s.World.TimeProvider);
            var start = s.World.NowNs;
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => s.Decoder.LinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs, cts.Token).AsTask());
            Assert.Equal(5 * Ms, s.World.NowNs - start);

            Assert.All(calls, c => Assert.True(c.ElapsedNs <= c.BudgetNs + SlackNs, $"{c.Call} took {SimTime.Format(c.ElapsedNs)} of a {SimTime.Format(c.BudgetNs)} budget"));
            Assert.All(calls.Where(c => c.Status != LlmStatus.Success), c => Assert.True(c.ElapsedNs > 0));
            Assert.All(calls.Take(3), c => Assert.Equal(s.TimeoutStatus, c.Status));
            Assert.NotEqual(LlmStatus.Success, calls[^1].Status);
            Assert.Equal(0, s.World.Network.ActiveTransferCount);
        });
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Chaos_plans_every_reported_success_has_exact_bytes_and_every_call_ends_within_its_budget(ulong seed, EngineProfile profile)
    {
        var report = ChaosPullWorkload.Run(seed, profile);
        Assert.True(report.Pulls.Any(p => p.Status == LlmStatus.Success), report.ToString());
        Assert.All(report.Calls, c => Assert.True(c.DataOk != false, $"{c.Operation} at {SimTime.Format(c.StartNs)} returned {c.Status} but the data rule broke; replay {report.Plan}"));
        Assert.All(report.Pulls.Where(p => p.Status == LlmStatus.Success), p => Assert.True(p.DataOk is not null, "a success whose bytes were not checked"));
        Assert.All(report.Calls, c => Assert.True(c.DurationNs <= c.BudgetNs + SlackNs,
            $"{c.Operation} at {SimTime.Format(c.StartNs)} took {SimTime.Format(c.DurationNs)} of a {SimTime.Format(c.BudgetNs)} budget; replay {report.Plan}"));
    }

    [Fact]
    public void The_chaos_seeds_do_break_transfers_so_the_chaos_tests_show_something()
    {
        var reports = Seeds.Select(s => ChaosPullWorkload.Run((ulong)s[0], (EngineProfile)s[1])).ToList();
        Assert.Contains(reports, r => r.Pulls.Any(p => p.Status is LlmStatus.WaitProcTimeout));
        Assert.Contains(reports, r => r.Pulls.Any(p => p.Status is LlmStatus.Timeout));
        Assert.Contains(reports, r => r.Calls.Any(c => c.Operation == "LinkLlmClusters" && c.Status != LlmStatus.Success));
        Assert.Contains(reports, r => r.Calls.Count(c => c.Operation is "AllocateCache" or "RegisterKvCache") > 2); // a crash took caches away
    }
}
