using LlmDataDist.Simulator.Semantics;
using static LlmDataDist.Samples.Simulated.SimulatedKit;
using static LlmDataDist.Simulator.Tests.Faults.FaultScenario;

namespace LlmDataDist.Simulator.Tests.Faults;

/// <summary>
/// What a Link checked before its handshake travelled may be stale when the handshake completes, and a server's record
/// exists before the client's Link has completed (§6.2 Linking, §6.3, §9.11 HX step 8): a transfer over a record still
/// being set up is NOT_YET_LINK; a record CE's prompt keeps after a failed handshake is half-open; a second concurrent
/// Link of the same peer answers ALREADY_LINK instead of silently replacing the first; a CE SetRole that waited in its
/// device queue while a Link completed is EXIST_LINK (§9.5).
/// </summary>
public sealed class LinkSetUpRaceTests
{
    private const long Ms = SimTime.NsPerMs;

    private static Task<LlmStatus> PushAsync(FaultScenario s, uint row) =>
        s.Prompt.PushKvCacheAsync(s.Source, new CacheIndex(DecoderId, s.Destination.CacheId, row), row, -1, new KvCacheExtParam()).AsTask();

    [Theory]
    [MemberData(nameof(Profiles), MemberType = typeof(FaultScenario))]
    public void A_push_over_the_servers_record_while_the_clients_link_is_still_setting_up_is_not_yet_link(EngineProfile profile)
    {
        using var s = new FaultScenario(profile, FaultPlan.None);
        s.Run(async s =>
        {
            await s.SetUpAsync(link: false);
            Fill(s.World, s.Destination, 0x33);
            var before = TryRead(s.World, s.Destination)!;
            var link = s.Decoder.LinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs).AsTask();
            await s.World.Loop.Delay(SimTime.NsPerUs * 100); // the request has arrived; communicator set-up takes ms
            Assert.Contains(DecoderId, s.PromptInstance.LinkedClusterIds);
            Assert.DoesNotContain(PromptId, s.DecoderInstance.LinkedClusterIds);

            Assert.Equal(LlmStatus.NotYetLink, await PushAsync(s, 1));
            s.AssertUnchanged(before);
            Assert.Equal(LlmStatus.Success, (await link).Status);
            Assert.Equal(LlmStatus.Success, await PushAsync(s, 1)); // set up now
        });
    }

    [Fact]
    public void CE_the_record_the_prompt_keeps_after_a_failed_handshake_is_half_open_and_the_prompt_must_unlink_it()
    {
        // The handshake's answer (prompt to decoder) is lost: the decoder rolls back, the prompt keeps its record (§6.3).
        using var s = new FaultScenario(EngineProfile.CE, FaultPlan.Scripted(new LinkDownFault($"npu{DecoderNpu}.roce.rx", AtNs: 10 * Ms, ForNs: 150 * Ms)));
        s.Run(async s =>
        {
            await s.SetUpAsync(link: false);
            await s.DelayUntilAsync(20 * Ms);
            var link = await s.Decoder.LinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs);
            Assert.Equal((LlmStatus.LinkFailed, LlmStatus.NotifyPromptUnlinkFailed), (link.Status, link.Rets.Single()));
            Assert.Contains(DecoderId, s.PromptInstance.LinkedClusterIds);
            Assert.DoesNotContain(PromptId, s.DecoderInstance.LinkedClusterIds);

            await s.DelayUntilAsync(200 * Ms); // the port is up again: only the half-open record stands in the way
            Fill(s.World, s.Destination, 0x44);
            var before = TryRead(s.World, s.Destination)!;
            var start = s.World.NowNs;
            Assert.Equal(LlmStatus.WaitProcTimeout, await PushAsync(s, 2));
            Assert.Equal(BudgetNs, s.World.NowNs - start);
            s.AssertUnchanged(before);

            Assert.Equal(LlmStatus.Success, (await s.Prompt.UnlinkLlmClustersAsync([PromptToDecoder], LinkTimeoutMs, forceFlag: true)).Status);
            await s.LinkAsync();
            Assert.Equal(LlmStatus.Success, await PushAsync(s, 2));
        });
    }

    [Fact]
    public void HX_two_concurrent_links_to_one_peer_link_it_once_and_the_second_is_already_link()
    {
        // The hixl backend links one-sided: no server record would show the first link to the second handshake, so both
        // plan "not linked" and the second finds the pair linked only when its own set-up ends.
        using var s = new FaultScenario(EngineProfile.HX, FaultPlan.None);
        s.Run(async s =>
        {
            var hixl = (LlmOptionKeys.TransferBackend, "hixl");
            Assert.Equal(LlmStatus.Success, await s.Prompt.InitializeAsync(Options(listen: true, hixl)));
            var decoderOptions = Options(listen: false, hixl);
            decoderOptions[LlmOptionKeys.ListenIpInfo] = $"{DecoderIp}:{DecoderPort}";
            Assert.Equal(LlmStatus.Success, await s.Decoder.InitializeAsync(decoderOptions));
            s.Source = await s.CacheAsync(s.Prompt, server: 0);
            var destination = await s.CacheAsync(s.Decoder, server: 1);

            var first = s.Decoder.LinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs).AsTask();
            var second = s.Decoder.LinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs).AsTask();
            Assert.Equal([LlmStatus.Success], (await first).Rets);
            Assert.Equal([LlmStatus.AlreadyLink], (await second).Rets);
            Assert.Equal(LlmStatus.Success, await s.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, s.Source.CacheId, 2), destination, 5, -1, new KvCacheExtParam()));
        });
    }

    [Fact]
    public void CE_a_switch_role_queued_behind_an_unanswered_one_is_exist_link_if_a_link_completed_while_it_waited()
    {
        // The decoder's device ignores requests issued in [20, 30) ms: the first SetRole is lost and holds the switch-role
        // queue until its budget ends at 70 ms; the second, issued at 40 ms with no link yet, waits behind it; a Link
        // completes meanwhile.
        using var s = new FaultScenario(EngineProfile.CE, FaultPlan.Scripted(new DeviceUnresponsiveFault(DecoderNpu, 20 * Ms, 30 * Ms)));
        s.Run(async s =>
        {
            Assert.Equal(LlmStatus.Success, await s.Prompt.InitializeAsync(Options(listen: true)));
            Assert.Equal(LlmStatus.Success, await s.Decoder.InitializeAsync(Options(listen: false, (LlmOptionKeys.EnableSwitchRole, "1"))));
            await s.DelayUntilAsync(20 * Ms);
            var lost = s.Decoder.SetRoleAsync(LlmRole.Mix, new Dictionary<string, string>()).AsTask();
            await s.DelayUntilAsync(40 * Ms);
            var queued = s.Decoder.SetRoleAsync(LlmRole.Mix, new Dictionary<string, string>()).AsTask();
            await s.LinkAsync();

            Assert.Equal(LlmStatus.WaitProcTimeout, await lost);
            Assert.Equal(LlmStatus.ExistLink, await queued);
            Assert.Equal(LlmRole.Decoder, s.DecoderInstance.Role);
            Assert.Contains(PromptId, s.DecoderInstance.LinkedClusterIds);
        });
    }
}
