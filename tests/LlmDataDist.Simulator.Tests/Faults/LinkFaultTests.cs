using LlmDataDist.Simulator.Semantics;
using static LlmDataDist.Samples.Simulated.SimulatedKit;
using static LlmDataDist.Simulator.Tests.Faults.FaultScenario;

namespace LlmDataDist.Simulator.Tests.Faults;

/// <summary>
/// Link faults on the path of a pull (§6.5, §12.8): the transfer is lost, the engine reports its timeout only when
/// its llm.SyncKvCacheWaitTime budget expires in virtual time (CE WAIT_PROC_TIMEOUT, HX TIMEOUT), the destination is
/// untouched, and the link stays Faulted, even once the network heals, until it is unlinked and linked again.
/// </summary>
public sealed class LinkFaultTests
{
    private const long Ms = SimTime.NsPerMs;

    [Theory]
    [MemberData(nameof(Profiles), MemberType = typeof(FaultScenario))]
    public void Link_down_at_a_time_times_out_through_the_client_stays_faulted_after_healing_and_recovers_by_relinking(EngineProfile profile)
    {
        using var s = new FaultScenario(profile, FaultPlan.Scripted(new LinkDownFault($"npu{DecoderNpu}.roce.rx", AtNs: 10 * Ms, ForNs: 40 * Ms)));
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(12 * Ms);
            var decoder = s.Client(s.Decoder);
            var before = TryRead(s.World, s.Destination)!;
            var start = s.World.NowNs;
            var ex = await Assert.ThrowsAnyAsync<LlmDataDistException>(() => decoder.PullKvCacheAsync(new CacheIndex(PromptId, s.Source.CacheId, 2), s.Destination, 5).AsTask());
            Assert.Equal(s.TimeoutStatus, ex.Status);
            Assert.IsType(profile == EngineProfile.CE ? typeof(LlmWaitProcTimeoutException) : typeof(LlmTimeoutException), ex);
            Assert.Equal(BudgetNs, s.World.NowNs - start);
            s.AssertUnchanged(before);
            Assert.Contains(("TimedOut", $"link npu{DecoderNpu}.roce.rx down"), s.TransfersOver($"npu{DecoderNpu}.roce.rx"));

            // 62 ms: the link is up again (10 + 40 ms), but the engine's link stays broken until rebuilt.
            Assert.True(s.World.Network.IsLinkUp(s.World.Topology.GetLink($"npu{DecoderNpu}.roce.rx").Id));
            await s.PullTimesOutAsync();
            await s.RecoverAsync();
            await s.PullSucceedsAsync();
        });
    }

    [Theory]
    [MemberData(nameof(Profiles), MemberType = typeof(FaultScenario))]
    public void Link_down_after_N_transfers_fails_exactly_the_next_transfer_over_it(EngineProfile profile)
    {
        const long allowed = 6;
        var link = $"npu{PromptNpu}.roce.tx"; // carries the handshake answer, HX's cache-table answer, and pulled data
        using var s = new FaultScenario(profile, FaultPlan.Scripted(new LinkDownAfterTransfersFault(link, allowed, ForNs: 5 * Ms)));
        s.Run(async s =>
        {
            await s.SetUpAsync(warmUp: false);
            var pulls = 0;
            LlmStatus status;
            do
            {
                var (pulled, _, source, before) = await s.PullAsync();
                status = pulled;
                if (status == LlmStatus.Success)
                {
                    s.AssertExactly(source!, before, [(2, 5)]);
                    pulls++;
                }
                else
                {
                    s.AssertUnchanged(before);
                }
            }
            while (status == LlmStatus.Success && pulls < 20);

            Assert.Equal(s.TimeoutStatus, status);
            var crossings = s.TransfersOver(link);
            Assert.Equal(allowed + 1, crossings.Count);
            Assert.All(crossings.Take((int)allowed), c => Assert.Equal("Completed", c.Status));
            Assert.Equal(("TimedOut", $"link {link} down"), crossings[^1]);
            Assert.InRange(pulls, 1, (int)allowed - 1); // control messages took the rest of the allowance

            await s.PullTimesOutAsync(); // Faulted: the link is back up (5 ms) but not rebuilt
            await s.RecoverAsync();
            await s.PullSucceedsAsync();
            await s.PullSucceedsAsync();
        });
    }

    [Theory]
    [MemberData(nameof(Profiles), MemberType = typeof(FaultScenario))]
    public void Flapping_link_passes_in_its_up_halves_fails_in_its_down_halves_and_recovers_after(EngineProfile profile)
    {
        // From 10 ms to 30 ms, period 2 ms: down [10, 11), up [11, 12), down [12, 13) ...
        using var s = new FaultScenario(profile, FaultPlan.Scripted(new LinkFlapFault($"npu{DecoderNpu}.roce.*", FromNs: 10 * Ms, UntilNs: 30 * Ms, PeriodNs: 2 * Ms)));
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync((11 * Ms) + (200 * SimTime.NsPerUs));
            await s.PullSucceedsAsync();
            await s.DelayUntilAsync((12 * Ms) + (200 * SimTime.NsPerUs));
            await s.PullTimesOutAsync();
            Assert.True(s.World.NowNs > 30 * Ms);
            await s.PullTimesOutAsync(); // flapping is over; the link is still Faulted
            await s.RecoverAsync();
            await s.PullSucceedsAsync();
            Assert.Contains(s.World.Trace.Events, e => e.Name == "FaultLinkDown" && e.TimeNs == 28 * Ms);
        });
    }

    [Theory]
    [MemberData(nameof(Profiles), MemberType = typeof(FaultScenario))]
    public void Dropped_transfers_time_out_change_nothing_fault_the_link_and_every_reported_success_has_exact_bytes(EngineProfile profile)
    {
        using var s = new FaultScenario(profile, FaultPlan.None.WithTransferDrop(new Ratio(1, 3)));
        s.Run(async s =>
        {
            await s.SetUpAsync(link: false);
            int drops = 0, successes = 0, successesAfterDrop = 0, failedLinks = 0;
            var freshLink = false;
            for (var round = 0; round < 30; round++)
            {
                if (!s.DecoderInstance.LinkedClusterIds.Contains(PromptId))
                {
                    // A dropped handshake message fails the link attempt: CE overall LINK_FAILED (the cluster's own
                    // status WAIT_PROC_TIMEOUT or NOTIFY_PROMPT_UNLINK_FAILED), HX TIMEOUT. Rebuild from scratch.
                    await s.Decoder.UnlinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs, forceFlag: true);
                    await s.Prompt.UnlinkLlmClustersAsync([PromptToDecoder], LinkTimeoutMs, forceFlag: true);
                    var start = s.World.NowNs;
                    var link = await s.Decoder.LinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs);
                    Assert.True(s.World.NowNs - start <= LinkTimeoutMs * Ms);
                    if (link.Status != LlmStatus.Success)
                    {
                        failedLinks++;
                        Assert.Equal(profile == EngineProfile.CE ? LlmStatus.LinkFailed : LlmStatus.Timeout, link.Status);
                        Assert.Contains(link.Rets.Single(), profile == EngineProfile.CE
                            ? new[] { LlmStatus.WaitProcTimeout, LlmStatus.NotifyPromptUnlinkFailed }
                            : new[] { LlmStatus.Timeout });
                        continue;
                    }

                    freshLink = true;
                }

                var firstOverLink = freshLink;
                freshLink = false;
                var (status, elapsed, source, before) = await s.PullAsync();
                if (status == LlmStatus.Success)
                {
                    s.AssertExactly(source!, before, [(2, 5)]);
                    successes++;
                    successesAfterDrop += drops > 0 ? 1 : 0;
                    continue;
                }

                drops++;
                Assert.Equal(s.TimeoutStatus, status);
                Assert.Equal(BudgetNs, elapsed);
                s.AssertUnchanged(before);
                if (profile == EngineProfile.CE || !firstOverLink)
                {
                    // Faulted: no new draw can rescue it. (HX's first pull over a link also reads the peer's cache
                    // table; a drop there does not fault the link: see HxSnapshotFaultTests.)
                    await s.PullTimesOutAsync();
                }

                Assert.Equal(LlmStatus.Success, (await s.Decoder.UnlinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs, forceFlag: true)).Status);
            }

            Assert.True(drops > 0, "the plan dropped nothing: the test shows nothing");
            Assert.True(successesAfterDrop > 0, $"no pull succeeded after a drop ({successes} successes, {drops} drops, {failedLinks} failed links)");
            Assert.Contains(s.World.Trace.Events, e => e.Name == "Transfer" && Arg(e, "cause") == "dropped by the fault plan");
        });
    }
}
