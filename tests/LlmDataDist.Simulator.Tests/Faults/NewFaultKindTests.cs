using LlmDataDist.Simulator.Semantics;
using static LlmDataDist.Samples.Simulated.SimulatedKit;
using static LlmDataDist.Simulator.Tests.Faults.FaultScenario;

namespace LlmDataDist.Simulator.Tests.Faults;

/// <summary>
/// Issue 8 item 2: faults that fail with an error instead of timing out, or never answer: control-plane connection
/// errors (handshake, unlink notice), a device that never answers, an unlink whose close fails, and raw ACL runtime
/// codes from HX transfers. Each is data in the plan, visible in the trace, and produces the status listed in
/// docs/simulator-backend.md.
/// </summary>
public sealed class NewFaultKindTests
{
    private const long Ms = SimTime.NsPerMs;

    /// <summary>After the set-up (link, warm-up pull), every fault window below opens here.</summary>
    private const long T0 = 1000 * Ms;

    private static void AssertTraced(FaultScenario s, string name) =>
        Assert.Contains(s.World.Trace.Events, e => e.Category == "fault" && e.Name == name);

    [Theory]
    [MemberData(nameof(Profiles), MemberType = typeof(FaultScenario))]
    public void A_handshake_connection_error_fails_that_cluster_with_link_failed_and_leaves_no_record(EngineProfile profile)
    {
        using var s = new FaultScenario(profile, FaultPlan.Scripted(new ControlPlaneErrorFault(DecoderId, PromptId, ControlMessageKind.Handshake, T0, T0 + (10 * Ms))));
        s.Run(async s =>
        {
            await s.SetUpAsync(link: false);
            await s.DelayUntilAsync(T0);
            var link = await s.Decoder.LinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs);

            Assert.Equal(LlmStatus.LinkFailed, link.Status);
            Assert.Equal([LlmStatus.LinkFailed], link.Rets);
            Assert.True(s.World.NowNs - T0 < LinkTimeoutMs * Ms, "an error, not a timeout");
            Assert.Empty(s.DecoderInstance.LinkedClusterIds);
            Assert.Empty(s.PromptInstance.LinkedClusterIds);
            AssertTraced(s, "ControlPlaneError");
            await s.DelayUntilAsync(T0 + (10 * Ms));
            await s.LinkAsync(); // the window closed: the same link succeeds
        });
    }

    [Fact]
    public void CE_an_unlink_notice_error_is_notify_prompt_unlink_failed_and_the_prompt_keeps_its_record()
    {
        using var s = new FaultScenario(EngineProfile.CE, FaultPlan.Scripted(new ControlPlaneErrorFault(DecoderId, null, ControlMessageKind.UnlinkNotice, T0)));
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(T0);
            var unlink = await s.Decoder.UnlinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs, forceFlag: false);

            Assert.Equal(LlmStatus.UnlinkFailed, unlink.Status);
            Assert.Equal([LlmStatus.NotifyPromptUnlinkFailed], unlink.Rets);
            Assert.Empty(s.DecoderInstance.LinkedClusterIds);
            Assert.Equal([DecoderId], s.PromptInstance.LinkedClusterIds); // the prompt must unlink itself (§6.4)
            AssertTraced(s, "ControlPlaneError");
        });
    }

    [Fact]
    public void HX_an_unlink_notice_error_is_unlink_failed_and_both_sides_keep_their_records()
    {
        using var s = new FaultScenario(EngineProfile.HX, FaultPlan.Scripted(new ControlPlaneErrorFault(DecoderId, PromptId, ControlMessageKind.UnlinkNotice, T0)));
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(T0);
            var unlink = await s.Decoder.UnlinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs, forceFlag: false);

            Assert.Equal(LlmStatus.UnlinkFailed, unlink.Status);
            Assert.Equal([LlmStatus.UnlinkFailed], unlink.Rets);
            Assert.Equal([PromptId], s.DecoderInstance.LinkedClusterIds); // §6.4: on a connect failure the local record is kept
            Assert.Equal([DecoderId], s.PromptInstance.LinkedClusterIds);
            await s.PullSucceedsAsync(); // the link still works
        });
    }

    [Theory]
    [MemberData(nameof(Profiles), MemberType = typeof(FaultScenario))]
    public void An_unlink_whose_close_fails_is_unlink_failed_with_the_local_record_deleted(EngineProfile profile)
    {
        using var s = new FaultScenario(profile, FaultPlan.Scripted(new UnlinkCloseFailureFault(DecoderId, T0)));
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(T0);
            var unlink = await s.Decoder.UnlinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs, forceFlag: true);

            Assert.Equal(LlmStatus.UnlinkFailed, unlink.Status);
            Assert.Equal([LlmStatus.UnlinkFailed], unlink.Rets);
            Assert.Empty(s.DecoderInstance.LinkedClusterIds); // deleted before the close (§6.4, test_force_unlink_fail)
            AssertTraced(s, "UnlinkCloseFailure");
        });
    }

    [Fact]
    public void CE_a_device_that_never_answers_makes_link_and_unlink_wait_proc_timeout_overall_after_the_call_timeout()
    {
        using var s = new FaultScenario(EngineProfile.CE, FaultPlan.Scripted(new DeviceUnresponsiveFault(DecoderNpu, T0, T0 + (500 * Ms))));
        s.Run(async s =>
        {
            await s.SetUpAsync(link: false);
            await s.DelayUntilAsync(T0);
            var link = await s.Decoder.LinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs);

            Assert.Equal(LlmStatus.WaitProcTimeout, link.Status); // the host-side wait of §6.3
            Assert.Equal([LlmStatus.WaitProcTimeout], link.Rets);
            Assert.Equal(T0 + (LinkTimeoutMs * Ms), s.World.NowNs);
            Assert.Empty(s.DecoderInstance.LinkedClusterIds);
            Assert.Empty(s.PromptInstance.LinkedClusterIds);
            var unlink = await s.Decoder.UnlinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs, forceFlag: true);
            Assert.Equal(LlmStatus.WaitProcTimeout, unlink.Status);
            Assert.Equal([LlmStatus.WaitProcTimeout], unlink.Rets);
            AssertTraced(s, "DeviceUnresponsive");
            await s.DelayUntilAsync(T0 + (500 * Ms));
            await s.LinkAsync();
        });
    }

    [Fact]
    public void CE_a_device_that_never_answers_times_out_allocate_deallocate_and_switch_role_after_the_wait_time_changing_nothing()
    {
        using var s = new FaultScenario(EngineProfile.CE, FaultPlan.Scripted(new DeviceUnresponsiveFault(DecoderNpu, T0, T0 + (500 * Ms))));
        s.Run(async s =>
        {
            Assert.Equal(LlmStatus.Success, await s.Prompt.InitializeAsync(Options(listen: true)));
            Assert.Equal(LlmStatus.Success, await s.Decoder.InitializeAsync(Options(listen: false, (LlmOptionKeys.EnableSwitchRole, "1"))));
            var cache = (await s.Decoder.AllocateCacheAsync(Desc)).Cache;
            await s.DelayUntilAsync(T0);

            var allocated = await s.Decoder.AllocateCacheAsync(Desc);
            Assert.Equal(LlmStatus.WaitProcTimeout, allocated.Status);
            Assert.Equal(T0 + BudgetNs, s.World.NowNs);
            Assert.Equal([cache.CacheId], s.DecoderInstance.CacheIds);
            Assert.Equal(LlmStatus.WaitProcTimeout, await s.Decoder.DeallocateCacheAsync(cache.CacheId));
            Assert.Equal([cache.CacheId], s.DecoderInstance.CacheIds); // the device never freed it
            Assert.Equal(LlmStatus.WaitProcTimeout, await s.Decoder.SetRoleAsync(LlmRole.Mix, new Dictionary<string, string>()));
            Assert.Equal(LlmRole.Decoder, s.DecoderInstance.Role);

            await s.DelayUntilAsync(T0 + (500 * Ms));
            Assert.Equal(LlmStatus.Success, await s.Decoder.DeallocateCacheAsync(cache.CacheId));
            Assert.Equal(3, (await s.Decoder.AllocateCacheAsync(Desc)).Cache.CacheId); // the timed-out allocate consumed id 2 (§9.8)
            Assert.Equal(LlmStatus.Success, await s.Decoder.SetRoleAsync(LlmRole.Mix, new Dictionary<string, string>()));
        });
    }

    [Fact]
    public void CE_device_requests_of_one_kind_queue_behind_an_unanswered_one_while_other_kinds_pass()
    {
        // The device ignores requests issued in the first 10 ms only: the first allocate is lost, the second (issued at
        // 20 ms, device answering again) waits behind it until its budget ends, a deallocate (another kind) does not wait.
        using var s = new FaultScenario(EngineProfile.CE, FaultPlan.Scripted(new DeviceUnresponsiveFault(DecoderNpu, T0, T0 + (10 * Ms))));
        s.Run(async s =>
        {
            Assert.Equal(LlmStatus.Success, await s.Decoder.InitializeAsync(Options(listen: false)));
            var cache = (await s.Decoder.AllocateCacheAsync(Desc)).Cache;
            await s.DelayUntilAsync(T0);
            var lost = s.Decoder.AllocateCacheAsync(Desc).AsTask();
            await s.DelayUntilAsync(T0 + (20 * Ms));
            var queued = s.Decoder.AllocateCacheAsync(Desc).AsTask();
            Assert.Equal(LlmStatus.Success, await s.Decoder.DeallocateCacheAsync(cache.CacheId));
            Assert.Equal(T0 + (20 * Ms), s.World.NowNs);

            Assert.Equal(LlmStatus.WaitProcTimeout, (await lost).Status);
            var second = await queued;
            Assert.Equal(LlmStatus.Success, second.Status);
            Assert.Equal(T0 + BudgetNs, s.World.NowNs); // served when the lost request's wait ended
        });
    }

    [Theory]
    [MemberData(nameof(Profiles), MemberType = typeof(FaultScenario))]
    public void A_transfer_touching_a_device_that_never_answers_times_out_and_faults_the_link(EngineProfile profile)
    {
        using var s = new FaultScenario(profile, FaultPlan.Scripted(new DeviceUnresponsiveFault(PromptNpu, T0, T0 + (10 * Ms))));
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(T0);
            await s.PullTimesOutAsync();
            AssertTraced(s, "DeviceUnresponsive");
            await s.PullTimesOutAsync(); // faulted until rebuilt (§6.5)
            await s.RecoverAsync();
            await s.PullSucceedsAsync();
        });
    }

    [Fact]
    public void HX_a_raw_acl_code_from_a_transfer_comes_through_the_contract_unchanged_and_the_link_still_works()
    {
        using var s = new FaultScenario(EngineProfile.HX, FaultPlan.Scripted(new TransferErrorFault(DecoderId, 507053, T0, T0 + (10 * Ms))));
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(T0);
            var (status, _, _, before) = await s.PullAsync();

            Assert.Equal(507053u, (uint)status);
            Assert.False(status.IsKnown());
            s.AssertUnchanged(before);
            AssertTraced(s, "TransferError");
            await s.DelayUntilAsync(T0 + (10 * Ms));
            await s.PullSucceedsAsync(); // §6.2: a failed HX transfer does not change the record
        });
    }

    [Fact]
    public void HX_a_raw_acl_code_reaches_the_client_as_an_unknown_status_exception_keeping_the_number()
    {
        using var s = new FaultScenario(EngineProfile.HX, FaultPlan.Scripted(new TransferErrorFault(DecoderId, 507057, T0)));
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(T0);
            var decoder = s.Client(s.Decoder);

            var ex = await Assert.ThrowsAsync<LlmDataDistException>(() => decoder.PullKvCacheAsync(new CacheIndex(PromptId, s.Source.CacheId, 2), s.Destination, 5).AsTask());

            Assert.Equal(typeof(LlmDataDistException), ex.GetType()); // the base type: the header names no such status
            Assert.Equal(507057u, ex.StatusCode);
            Assert.False(ex.Status.IsKnown());
            Assert.Contains("507057", ex.Message, StringComparison.Ordinal);
            Assert.Contains("Unknown status", ex.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void CE_a_runtime_error_from_a_transfer_is_failed_after_the_status_filter()
    {
        using var s = new FaultScenario(EngineProfile.CE, FaultPlan.Scripted(new TransferErrorFault(DecoderId, 507056, T0)));
        s.Run(async s =>
        {
            await s.SetUpAsync();
            await s.DelayUntilAsync(T0);
            var (status, _, _, before) = await s.PullAsync();

            Assert.Equal(LlmStatus.Failed, status); // §2: anything outside CE's whitelist becomes FAILED
            s.AssertUnchanged(before);
        });
    }
}
