namespace LlmDataDist.Conformance;

// §6.3 / §6.4 / §6.5 / §8 / §10 rule by rule: link and unlink validation orders, CE structural checks and limits,
// CE per-instance serialisation, per-cluster statuses, HX per-cluster rules and id semantics, broken links.
public abstract partial class ConformanceSuite
{
    private static readonly Dictionary<string, string> NoOptions = [];

    private static ClusterInfo Cluster(ulong remoteId, string[] local, params (string Ip, ushort Port)[] remote) => new()
    {
        RemoteClusterId = remoteId,
        LocalIpInfos = local.Select(ip => new IpInfo { Ip = ip }).ToList(),
        RemoteIpInfos = remote.Select(r => new IpInfo { Ip = r.Ip, Port = r.Port }).ToList(),
    };

    /// <summary>A further prompt listening on its own port of the prompt's IP.</summary>
    private static async Task<ILlmDataDistBackend> ExtraPromptAsync(IConformanceHarness h, ulong id, ushort port)
    {
        var prompt = h.Create(id, LlmRole.Prompt, PromptServer);
        Assert.Equal(LlmStatus.Success, await prompt.InitializeAsync(Options(0, $"{PromptIp}:{port}")));
        return prompt;
    }

    private static Task<LlmStatus> PullRow0Async(ILlmDataDistBackend decoder, Cache src, Cache dst, ulong from = PromptId) =>
        decoder.PullKvCacheAsync(new CacheIndex(from, src.CacheId, 0), dst, 0, -1, new KvCacheExtParam()).AsTask();

    private static Task<LlmStatus> PushRow0Async(ILlmDataDistBackend prompt, Cache src, Cache dst, ulong to = DecoderId) =>
        prompt.PushKvCacheAsync(src, new CacheIndex(to, dst.CacheId, 0), 0, -1, new KvCacheExtParam()).AsTask();

    private static LlmStatus TimeoutOf(IConformanceHarness h) => h.Profile == ConformanceProfile.CE ? LlmStatus.WaitProcTimeout : LlmStatus.Timeout;

    // ---- common pre-checks (§6.3 steps 1–3) -------------------------------------------------------------------

    [Theory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Link_and_unlink_check_initialization_before_the_timeout_and_the_IPs(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var decoder = h.Create(DecoderId, LlmRole.Decoder, DecoderServer);
        var bad = ToPrompt(remoteIp: "nonsense");
        Assert.Equal((LlmStatus.Failed, 0), Shape(await decoder.LinkLlmClustersAsync([bad], 0)));
        var unlink = await decoder.UnlinkLlmClustersAsync([bad], 0, false);
        Assert.Equal((LlmStatus.Failed, 0), (unlink.Status, unlink.Rets.Count));
        Assert.Equal(LlmStatus.Success, await decoder.InitializeAsync(Options()));
        unlink = await decoder.UnlinkLlmClustersAsync([ToPrompt()], -5, false);
        Assert.Equal((LlmStatus.ParamInvalid, 0), (unlink.Status, unlink.Rets.Count));
        unlink = await decoder.UnlinkLlmClustersAsync([ToPrompt(), ToPrompt(localIp: "10.0.0.256")], 1000, false);
        Assert.Equal((LlmStatus.ParamInvalid, 0), (unlink.Status, unlink.Rets.Count));
    });

    [Fact]
    public void CE_link_checks_the_IPs_before_the_role_and_the_role_before_structure_and_limit() => Scenario(ConformanceProfile.CE, async h =>
    {
        var pair = await InitializedPairAsync(h);
        // A prompt may not link: with 17 clusters it is still PARAM_INVALID, not CLUSTER_NUM_EXCEED_LIMIT.
        var many = Enumerable.Range(0, 17).Select(i => ToPrompt(remoteId: (ulong)(100 + i))).ToList();
        Assert.Equal((LlmStatus.ParamInvalid, 0), Shape(await pair.Prompt.LinkLlmClustersAsync(many, 1000)));
        Assert.Equal((LlmStatus.ParamInvalid, 0), Shape(await pair.Prompt.LinkLlmClustersAsync([ToDecoder()], 0)));
    });

    // ---- CE structural checks and limits (§6.3 steps 6–8, §8) -------------------------------------------------

    [Fact]
    public void CE_link_structural_checks_fail_the_whole_call_and_link_nothing() => Scenario(ConformanceProfile.CE, async h =>
    {
        var pair = await InitializedPairAsync(h);
        var second = await ExtraPromptAsync(h, 3, PromptPort + 1);
        string[] local = [DecoderIp];
        var remote = (PromptIp, PromptPort);
        var otherRemote = (PromptIp, (ushort)(PromptPort + 1));
        ClusterInfo[][] calls =
        [
            [Cluster(PromptId, [], remote)],                                                   // empty local list
            [Cluster(PromptId, local)],                                                        // empty remote list
            [Cluster(PromptId, local, remote, otherRemote)],                                   // lengths differ
            [Cluster(PromptId, [DecoderIp, DecoderIp], remote, otherRemote)],                  // 2 entries, 1 device
            [Cluster(PromptId, local, remote), Cluster(3, ["10.0.0.3"], otherRemote)],         // local lists differ
            [.. Enumerable.Range(0, 16).Select(i => ToPrompt(remoteId: (ulong)(100 + i))), Cluster(3, [], otherRemote)], // structure before the limit
        ];
        foreach (var clusters in calls)
        {
            Assert.Equal((LlmStatus.ParamInvalid, 0), Shape(await pair.Decoder.LinkLlmClustersAsync(clusters, 1000)));
            var unlink = await pair.Decoder.UnlinkLlmClustersAsync(clusters, 1000, false);
            Assert.Equal((LlmStatus.ParamInvalid, 0), (unlink.Status, unlink.Rets.Count));
        }

        // Nothing was linked by the rejected calls: both clusters link now, and with the same local list.
        var link = await pair.Decoder.LinkLlmClustersAsync([ToPrompt(), Cluster(3, local, otherRemote)], 1000);
        Assert.Equal(LlmStatus.Success, link.Status);
        Assert.Equal([LlmStatus.Success, LlmStatus.Success], link.Rets);
        var more = Enumerable.Range(0, 17).Select(i => ToPrompt(remoteId: (ulong)(100 + i))).ToList();
        var tooMany = await pair.Decoder.UnlinkLlmClustersAsync(more, 1000, false);
        Assert.Equal((LlmStatus.ClusterNumExceedLimit, 0), (tooMany.Status, tooMany.Rets.Count));
        GC.KeepAlive(second);
    });

    [Fact]
    public void CE_more_than_512_initiated_links_make_every_cluster_of_the_call_invalid_under_overall_success() => Scenario(ConformanceProfile.CE, async h =>
    {
        var decoder = h.Create(DecoderId, LlmRole.Decoder, DecoderServer);
        Assert.Equal(LlmStatus.Success, await decoder.InitializeAsync(Options()));
        const int existing = 510;
        var prompts = new List<ILlmDataDistBackend>();
        for (var i = 0; i < existing + 3; i++)
        {
            prompts.Add(await ExtraPromptAsync(h, (ulong)(1000 + i), (ushort)(30000 + i)));
        }

        ClusterInfo To(int i) => ToPrompt(remoteId: (ulong)(1000 + i), port: (ushort)(30000 + i));
        for (var batch = 0; batch < existing; batch += 15)
        {
            var clusters = Enumerable.Range(batch, Math.Min(15, existing - batch)).Select(To).ToList();
            var linked = await decoder.LinkLlmClustersAsync(clusters, 1000);
            Assert.Equal(LlmStatus.Success, linked.Status);
            Assert.All(linked.Rets, r => Assert.Equal(LlmStatus.Success, r));
        }

        // 510 + 3 > 512: every cluster of the call is PARAM_INVALID, yet the call succeeds (§6.3 step 8–9).
        var over = await decoder.LinkLlmClustersAsync([To(existing), To(existing + 1), To(existing + 2)], 1000);
        Assert.Equal(LlmStatus.Success, over.Status);
        Assert.Equal([LlmStatus.ParamInvalid, LlmStatus.ParamInvalid, LlmStatus.ParamInvalid], over.Rets);
        // 510 + 2 = 512 fits; then one more does not; an unlink frees a slot.
        Assert.Equal([LlmStatus.Success, LlmStatus.Success], (await decoder.LinkLlmClustersAsync([To(existing), To(existing + 1)], 1000)).Rets);
        var full = await decoder.LinkLlmClustersAsync([To(existing + 2)], 1000);
        Assert.Equal((LlmStatus.Success, LlmStatus.ParamInvalid), (full.Status, full.Rets.Single()));
        Assert.Equal(LlmStatus.Success, (await decoder.UnlinkLlmClustersAsync([To(0)], 1000, false)).Status);
        Assert.Equal([LlmStatus.Success], (await decoder.LinkLlmClustersAsync([To(existing + 2)], 1000)).Rets);
    });

    [Fact]
    public void HX_has_no_16_cluster_limit() => Scenario(ConformanceProfile.HX, async h =>
    {
        var pair = await InitializedPairAsync(h);
        var clusters = Enumerable.Range(0, 17).Select(i => ToPrompt(remoteId: (ulong)(100 + i), port: (ushort)(40000 + i))).Append(ToPrompt()).ToList();
        var result = await pair.Decoder.LinkLlmClustersAsync(clusters, 1000);
        Assert.Equal(18, result.Rets.Count);
        Assert.All(result.Rets.Take(17), r => Assert.Equal(LlmStatus.LinkFailed, r));
        Assert.Equal(LlmStatus.Success, result.Rets[17]);
        Assert.Equal(LlmStatus.LinkFailed, result.Status); // the last failing cluster, not a limit
    });

    // ---- CE serialisation of link operations (§6.3 step 5, §10) ----------------------------------------------

    [Fact]
    public void CE_a_link_started_while_another_runs_is_processing_link_after_waiting_its_timeout_in_microseconds() => Scenario(ConformanceProfile.CE, async h =>
    {
        var pair = await InitializedPairAsync(h);
        await ExtraPromptAsync(h, 3, PromptPort + 1);
        var first = pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000).AsTask();
        Assert.False(first.IsCompleted);
        // 1000 "ms" waits 1000 µs, less than the first link's set-up: PROCESSING_LINK, rets empty, checked before structure.
        Assert.Equal((LlmStatus.ProcessingLink, 0), Shape(await pair.Decoder.LinkLlmClustersAsync([ToPrompt(remoteId: 3, port: PromptPort + 1)], 1000)));
        Assert.Equal((LlmStatus.ProcessingLink, 0), Shape(await pair.Decoder.LinkLlmClustersAsync([Cluster(3, [], (PromptIp, PromptPort))], 100)));
        var unlink = await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 100, false);
        Assert.Equal((LlmStatus.ProcessingLink, 0), (unlink.Status, unlink.Rets.Count));
        Assert.Equal([LlmStatus.Success], (await first).Rets);

        // A long enough timeout (100000 "ms" = 100 ms of waiting) outlasts the running link and then proceeds.
        var third = pair.Decoder.LinkLlmClustersAsync([ToPrompt(remoteId: 3, port: PromptPort + 1)], 1000).AsTask();
        var patient = await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 100_000);
        Assert.Equal((LlmStatus.Success, LlmStatus.AlreadyLink), (patient.Status, patient.Rets.Single()));
        Assert.Equal([LlmStatus.Success], (await third).Rets);
    });

    [Fact]
    public void CE_a_link_started_while_an_unlink_runs_is_processing_link() => Scenario(ConformanceProfile.CE, async h =>
    {
        var pair = await LinkedPairAsync(h);
        var unlink = pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, false).AsTask();
        Assert.False(unlink.IsCompleted);
        Assert.Equal((LlmStatus.ProcessingLink, 0), Shape(await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1)));
        Assert.Equal([LlmStatus.Success], (await unlink).Rets);
        Assert.Equal([LlmStatus.Success], (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Rets);
    });

    [Fact]
    public void HX_link_calls_are_not_serialised() => Scenario(ConformanceProfile.HX, async h =>
    {
        var pair = await InitializedPairAsync(h);
        await ExtraPromptAsync(h, 3, PromptPort + 1);
        var first = pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000).AsTask();
        var second = await pair.Decoder.LinkLlmClustersAsync([ToPrompt(remoteId: 3, port: PromptPort + 1)], 1000);
        Assert.Equal((LlmStatus.Success, LlmStatus.Success), (second.Status, second.Rets.Single()));
        Assert.Equal([LlmStatus.Success], (await first).Rets);
    });

    // ---- CE unlink per cluster (§6.4) --------------------------------------------------------------------------

    [Fact]
    public void CE_client_unlink_with_other_IPs_is_param_invalid_for_that_cluster_and_keeps_the_link() => Scenario(ConformanceProfile.CE, async h =>
    {
        var (pair, src, dst, _, _) = await FilledAsync(h);
        var wrongLocal = await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt(localIp: "10.0.0.9")], 1000, false);
        Assert.Equal((LlmStatus.UnlinkFailed, LlmStatus.ParamInvalid), (wrongLocal.Status, wrongLocal.Rets.Single()));
        var wrongRemote = await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt(remoteIp: "10.0.0.9")], 1000, true);
        Assert.Equal((LlmStatus.UnlinkFailed, LlmStatus.ParamInvalid), (wrongRemote.Status, wrongRemote.Rets.Single()));
        Assert.Equal(LlmStatus.Success, await PullRow0Async(pair.Decoder, src, dst));
    });

    [Fact]
    public void CE_a_cluster_named_twice_in_one_unlink_is_a_repeat_request_and_fails_the_call() => Scenario(ConformanceProfile.CE, async h =>
    {
        var pair = await LinkedPairAsync(h);
        var result = await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt(), ToPrompt()], 1000, false);
        Assert.Equal(LlmStatus.UnlinkFailed, result.Status);
        Assert.Equal([LlmStatus.Success, LlmStatus.RepeatRequest], result.Rets);
    });

    [Fact]
    public void CE_unlink_from_a_decoder_whose_prompt_is_gone_is_notify_prompt_unlink_failed_and_removes_the_local_record() => Scenario(ConformanceProfile.CE, async h =>
    {
        var (pair, src, dst, _, _) = await FilledAsync(h);
        await pair.Prompt.ShutdownAsync();
        var result = await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, false);
        Assert.Equal((LlmStatus.UnlinkFailed, LlmStatus.NotifyPromptUnlinkFailed), (result.Status, result.Rets.Single()));
        Assert.Equal(LlmStatus.NotYetLink, await PullRow0Async(pair.Decoder, src, dst));
    });

    [Fact]
    public void CE_a_prompt_unlinks_its_server_side_by_the_decoders_IP_and_id_and_the_decoder_is_not_told() => Scenario(ConformanceProfile.CE, async h =>
    {
        var (pair, src, dst, _, _) = await FilledAsync(h);
        var wrongIp = new ClusterInfo { RemoteClusterId = DecoderId, LocalIpInfos = [new IpInfo { Ip = PromptIp }], RemoteIpInfos = [new IpInfo { Ip = "10.0.0.9" }] };
        var unknown = ToDecoder() with { RemoteClusterId = 77 };
        var miss = await pair.Prompt.UnlinkLlmClustersAsync([wrongIp, unknown], 1000, false);
        Assert.Equal(LlmStatus.Success, miss.Status);
        Assert.Equal([LlmStatus.NotYetLink, LlmStatus.NotYetLink], miss.Rets);
        Assert.Equal(LlmStatus.Success, await PushRow0Async(pair.Prompt, src, dst));

        var server = await pair.Prompt.UnlinkLlmClustersAsync([ToDecoder()], 1000, false);
        Assert.Equal((LlmStatus.Success, LlmStatus.Success), (server.Status, server.Rets.Single()));
        Assert.Equal(LlmStatus.NotYetLink, await PushRow0Async(pair.Prompt, src, dst));
        // The decoder still holds its record: linking again is ALREADY_LINK per cluster, and its pulls time out
        // (§13.7 unconfirmed; recommended sim: the half-open timeout) until it force-unlinks and links again.
        Assert.Equal([LlmStatus.AlreadyLink], (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Rets);
        Assert.Equal(LlmStatus.WaitProcTimeout, await PullRow0Async(pair.Decoder, src, dst));
        Assert.Equal(LlmStatus.Success, (await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, true)).Status);
        Assert.Equal([LlmStatus.Success], (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Rets);
        Assert.Equal(LlmStatus.Success, await PullRow0Async(pair.Decoder, src, dst));
    });

    [Fact]
    public void CE_force_unlink_removes_only_the_decoders_side() => Scenario(ConformanceProfile.CE, async h =>
    {
        var (pair, src, dst, _, before) = await FilledAsync(h);
        var force = await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, true);
        Assert.Equal((LlmStatus.Success, LlmStatus.Success), (force.Status, force.Rets.Single()));
        Assert.Equal(LlmStatus.NotYetLink, await PullRow0Async(pair.Decoder, src, dst));
        // The prompt was not told: its record is half-open, and a push over it times out without writing.
        Assert.Equal(LlmStatus.WaitProcTimeout, await PushRow0Async(pair.Prompt, src, dst));
        AssertOnlyChanged(before, Snapshot(h, dst), []);
        Assert.Equal(LlmStatus.Success, (await pair.Prompt.UnlinkLlmClustersAsync([ToDecoder()], 1000, false)).Status);
        Assert.Equal(LlmStatus.NotYetLink, await PushRow0Async(pair.Prompt, src, dst));
    });

    // ---- transfer vs unlink (§6.2 Busy, §10) ----------------------------------------------------------------

    [Fact]
    public void CE_unlink_while_a_pull_holds_the_link_is_link_busy_for_that_cluster() => Scenario(ConformanceProfile.CE, async h =>
    {
        var (pair, src, dst, source, before) = await FilledAsync(h);
        var pull = PullRow0Async(pair.Decoder, src, dst);
        Assert.False(pull.IsCompleted);
        var unlink = await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, false);
        Assert.Equal((LlmStatus.UnlinkFailed, LlmStatus.LinkBusy), (unlink.Status, unlink.Rets.Single()));
        Assert.Equal(LlmStatus.Success, await pull);
        AssertOnlyChanged(before, Snapshot(h, dst), Enumerable.Range(0, 4).Select(t => (t, 0L, Slice(source[t], 0, 64))));
        Assert.Equal(LlmStatus.Success, (await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, false)).Status);
    });

    [Fact]
    public void CE_a_server_unlink_while_a_push_holds_the_link_is_link_busy() => Scenario(ConformanceProfile.CE, async h =>
    {
        var (pair, src, dst, _, _) = await FilledAsync(h);
        var push = PushRow0Async(pair.Prompt, src, dst);
        Assert.False(push.IsCompleted);
        var unlink = await pair.Prompt.UnlinkLlmClustersAsync([ToDecoder()], 1000, false);
        Assert.Equal((LlmStatus.UnlinkFailed, LlmStatus.LinkBusy), (unlink.Status, unlink.Rets.Single()));
        Assert.Equal(LlmStatus.Success, await push);
    });

    [Fact]
    public void CE_a_transfer_started_while_its_link_is_being_unlinked_is_link_busy() => Scenario(ConformanceProfile.CE, async h =>
    {
        var (pair, src, dst, _, before) = await FilledAsync(h);
        var unlink = pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, false).AsTask();
        Assert.False(unlink.IsCompleted);
        Assert.Equal(LlmStatus.LinkBusy, await PullRow0Async(pair.Decoder, src, dst));
        Assert.Equal(LlmStatus.LinkBusy, await pair.Decoder.PullKvBlocksAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, [1], [1], new KvCacheExtParam()));
        Assert.Equal((LlmStatus.Success, LlmStatus.Success), ((await unlink).Status, (await unlink).Rets.Single()));
        AssertOnlyChanged(before, Snapshot(h, dst), []);
        Assert.Equal(LlmStatus.NotYetLink, await PullRow0Async(pair.Decoder, src, dst));
    });

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void HX_unlink_waits_for_the_transfer_in_flight(bool force) => Scenario(ConformanceProfile.HX, async h =>
    {
        var (pair, src, dst, source, before) = await FilledAsync(h);
        var pull = PullRow0Async(pair.Decoder, src, dst);
        Assert.False(pull.IsCompleted);
        var unlink = await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, force);
        Assert.Equal((LlmStatus.Success, LlmStatus.Success), (unlink.Status, unlink.Rets.Single()));
        Assert.True(pull.IsCompleted);
        Assert.Equal(LlmStatus.Success, await pull);
        AssertOnlyChanged(before, Snapshot(h, dst), Enumerable.Range(0, 4).Select(t => (t, 0L, Slice(source[t], 0, 64))));
        Assert.Equal(LlmStatus.NotYetLink, await PullRow0Async(pair.Decoder, src, dst));
    });

    [Fact]
    public void HX_a_transfer_starting_while_an_unlink_waits_for_the_link_is_not_yet_link() => Scenario(ConformanceProfile.HX, async h =>
    {
        var (pair, src, dst, source, before) = await FilledAsync(h);
        var pull = PullRow0Async(pair.Decoder, src, dst);
        var unlink = pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, true).AsTask();
        Assert.False(unlink.IsCompleted); // waiting for the pull; the record is marked destroyed
        Assert.Equal(LlmStatus.NotYetLink, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 3), dst, 3, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.Success, await pull);
        Assert.Equal(LlmStatus.Success, (await unlink).Status);
        AssertOnlyChanged(before, Snapshot(h, dst), Enumerable.Range(0, 4).Select(t => (t, 0L, Slice(source[t], 0, 64))));
    });

    [Fact]
    public void HX_a_transfer_during_the_link_call_is_not_yet_link() => Scenario(ConformanceProfile.HX, async h =>
    {
        var pair = await InitializedPairAsync(h);
        var src = await CacheAsync(h, pair.Prompt, PromptServer);
        var dst = await CacheAsync(h, pair.Decoder, DecoderServer);
        var link = pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000).AsTask();
        Assert.False(link.IsCompleted);
        Assert.Equal(LlmStatus.NotYetLink, await PullRow0Async(pair.Decoder, src, dst));
        Assert.Equal(LlmStatus.Success, (await link).Status);
        Assert.Equal(LlmStatus.Success, await PullRow0Async(pair.Decoder, src, dst));
    });

    // ---- link timeouts (§6.3 step 8, §12.8) -----------------------------------------------------------------

    [Fact]
    public void CE_a_link_that_overruns_its_timeout_after_the_handshake_is_notify_prompt_unlink_failed_and_rolled_back() => Scenario(ConformanceProfile.CE, async h =>
    {
        var pair = await InitializedPairAsync(h, (LlmOptionKeys.EnableSwitchRole, "1"));
        var src = await CacheAsync(h, pair.Prompt, PromptServer);
        var dst = await CacheAsync(h, pair.Decoder, DecoderServer);
        var result = await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1);
        Assert.Equal((LlmStatus.LinkFailed, LlmStatus.NotifyPromptUnlinkFailed), (result.Status, result.Rets.Single()));
        Assert.Equal(LlmStatus.NotYetLink, await PullRow0Async(pair.Decoder, src, dst)); // rolled back on the decoder
        Assert.Equal(LlmStatus.ExistLink, await pair.Prompt.SetRoleAsync(LlmRole.Prompt, new Dictionary<string, string> { [LlmOptionKeys.ListenIpInfo] = PromptListen })); // the prompt kept its record
        Assert.Equal([LlmStatus.Success], (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Rets);
        Assert.Equal(LlmStatus.Success, await PullRow0Async(pair.Decoder, src, dst));
    });

    [Fact]
    public void HX_a_link_that_overruns_its_timeout_is_timeout_and_leaves_no_record_on_either_side() => Scenario(ConformanceProfile.HX, async h =>
    {
        var pair = await InitializedPairAsync(h);
        var src = await CacheAsync(h, pair.Prompt, PromptServer);
        var dst = await CacheAsync(h, pair.Decoder, DecoderServer);
        var result = await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1);
        Assert.Equal((LlmStatus.Timeout, LlmStatus.Timeout), (result.Status, result.Rets.Single()));
        Assert.Equal(LlmStatus.NotYetLink, await PullRow0Async(pair.Decoder, src, dst));
        Assert.Equal(LlmStatus.NotYetLink, await PushRow0Async(pair.Prompt, src, dst));
        Assert.Equal(LlmStatus.Success, await pair.Prompt.SetRoleAsync(LlmRole.Prompt, new Dictionary<string, string> { [LlmOptionKeys.ListenIpInfo] = PromptListen }));
        Assert.Equal([LlmStatus.Success], (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Rets);
        Assert.Equal(LlmStatus.Success, await PullRow0Async(pair.Decoder, src, dst));
    });

    // ---- HX per-cluster link rules (§6.3 HX) --------------------------------------------------------------------

    [Fact]
    public void HX_each_cluster_needs_exactly_one_remote_endpoint() => Scenario(ConformanceProfile.HX, async h =>
    {
        var pair = await InitializedPairAsync(h);
        var two = Cluster(PromptId, [DecoderIp], (PromptIp, PromptPort), (PromptIp, PromptPort));
        var none = Cluster(PromptId, [DecoderIp]);
        var result = await pair.Decoder.LinkLlmClustersAsync([two, none], 1000);
        Assert.Equal(LlmStatus.ParamInvalid, result.Status);
        Assert.Equal([LlmStatus.ParamInvalid, LlmStatus.ParamInvalid], result.Rets);
        Assert.Equal([LlmStatus.Success], (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Rets);
    });

    [Fact]
    public void HX_local_IPs_are_needed_exactly_once_until_the_instance_has_a_communication_description() => Scenario(ConformanceProfile.HX, async h =>
    {
        var pair = await InitializedPairAsync(h);
        await ExtraPromptAsync(h, 3, PromptPort + 1);
        var noLocal = Cluster(PromptId, [], (PromptIp, PromptPort));
        var twoLocal = Cluster(PromptId, [DecoderIp, DecoderIp], (PromptIp, PromptPort));
        Assert.Equal([LlmStatus.ParamInvalid, LlmStatus.ParamInvalid], (await pair.Decoder.LinkLlmClustersAsync([noLocal, twoLocal], 1000)).Rets);
        Assert.Equal([LlmStatus.Success], (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Rets);
        // The first successful link generated the description: local IPs are ignored from now on.
        Assert.Equal([LlmStatus.Success], (await pair.Decoder.LinkLlmClustersAsync([Cluster(3, [], (PromptIp, (ushort)(PromptPort + 1)))], 1000)).Rets);

        // llm.LocalCommRes at Initialize gives the description up front.
        var described = h.Create(5, LlmRole.Decoder, DecoderServer);
        Assert.Equal(LlmStatus.Success, await described.InitializeAsync(Options(1, null, (LlmOptionKeys.LocalCommRes, "{\"version\": \"1.0\"}"))));
        Assert.Equal([LlmStatus.Success], (await described.LinkLlmClustersAsync([noLocal], 1000)).Rets);
    });

    [Fact]
    public void HX_a_cluster_named_twice_in_one_call_links_once_and_the_duplicate_is_already_link() => Scenario(ConformanceProfile.HX, async h =>
    {
        var pair = await InitializedPairAsync(h);
        var result = await pair.Decoder.LinkLlmClustersAsync([ToPrompt(), ToPrompt()], 1000);
        Assert.Equal(LlmStatus.AlreadyLink, result.Status);
        Assert.Equal([LlmStatus.Success, LlmStatus.AlreadyLink], result.Rets);
    });

    [Fact]
    public void HX_the_overall_status_is_the_last_failing_cluster_in_input_order() => Scenario(ConformanceProfile.HX, async h =>
    {
        var pair = await InitializedPairAsync(h);
        var nobody = ToPrompt(remoteId: 9, port: 1);
        var twoRemote = Cluster(8, [DecoderIp], (PromptIp, 1), (PromptIp, 2));
        var first = await pair.Decoder.LinkLlmClustersAsync([nobody, ToPrompt(), twoRemote], 1000);
        Assert.Equal(LlmStatus.ParamInvalid, first.Status);
        Assert.Equal([LlmStatus.LinkFailed, LlmStatus.Success, LlmStatus.ParamInvalid], first.Rets);
        var second = await pair.Decoder.LinkLlmClustersAsync([twoRemote, nobody], 1000);
        Assert.Equal(LlmStatus.LinkFailed, second.Status);
        Assert.Equal([LlmStatus.ParamInvalid, LlmStatus.LinkFailed], second.Rets);
        var unlink = await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt(), twoRemote, nobody], 1000, false);
        Assert.Equal(LlmStatus.UnlinkFailed, unlink.Status);
        Assert.Equal([LlmStatus.Success, LlmStatus.ParamInvalid, LlmStatus.UnlinkFailed], unlink.Rets);
    });

    [Fact]
    public void HX_the_client_keys_its_record_by_the_id_the_server_reports() => Scenario(ConformanceProfile.HX, async h =>
    {
        var (pair, src, dst, _, _) = await FilledAsync(h, link: false);
        var wrong = ToPrompt(remoteId: 77);
        Assert.Equal([LlmStatus.Success], (await pair.Decoder.LinkLlmClustersAsync([wrong], 1000)).Rets);
        Assert.Equal(LlmStatus.NotYetLink, await PullRow0Async(pair.Decoder, src, dst, from: 77));
        Assert.Equal(LlmStatus.Success, await PullRow0Async(pair.Decoder, src, dst));
        // A wrong id over an existing link rebuilds it rather than answering ALREADY_LINK; the true id is ALREADY_LINK.
        Assert.Equal((LlmStatus.Success, LlmStatus.Success), Single(await pair.Decoder.LinkLlmClustersAsync([wrong], 1000)));
        Assert.Equal((LlmStatus.AlreadyLink, LlmStatus.AlreadyLink), Single(await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)));
        Assert.Equal(LlmStatus.Success, await PullRow0Async(pair.Decoder, src, dst));
    });

    [Fact]
    public void HX_unlink_with_a_wrong_id_succeeds_but_leaves_the_local_record_half_open() => Scenario(ConformanceProfile.HX, async h =>
    {
        var (pair, src, dst, _, _) = await FilledAsync(h);
        var unlink = await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt(remoteId: 77)], 1000, false);
        Assert.Equal((LlmStatus.Success, LlmStatus.Success), (unlink.Status, unlink.Rets.Single()));
        Assert.Equal(LlmStatus.NotYetLink, await PushRow0Async(pair.Prompt, src, dst)); // the peer removed its side
        Assert.Equal(LlmStatus.Timeout, await PullRow0Async(pair.Decoder, src, dst));  // ours is left behind
        Assert.Equal(LlmStatus.Success, (await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, true)).Status);
        Assert.Equal([LlmStatus.Success], (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Rets);
        Assert.Equal(LlmStatus.Success, await PullRow0Async(pair.Decoder, src, dst));
    });

    [Fact]
    public void HX_a_prompt_may_link_to_a_listening_decoder_and_both_sides_transfer() => Scenario(ConformanceProfile.HX, async h =>
    {
        var prompt = h.Create(PromptId, LlmRole.Prompt, PromptServer);
        var decoder = h.Create(DecoderId, LlmRole.Decoder, DecoderServer);
        Assert.Equal(LlmStatus.Success, await prompt.InitializeAsync(Options()));
        Assert.Equal(LlmStatus.Success, await decoder.InitializeAsync(Options(0, $"{DecoderIp}:{PromptPort}")));
        var src = await CacheAsync(h, prompt, PromptServer);
        var dst = await CacheAsync(h, decoder, DecoderServer);
        Fill(h, src, 1);
        Fill(h, dst, 2);
        var toDecoder = Cluster(DecoderId, [PromptIp], (DecoderIp, PromptPort));
        Assert.Equal([LlmStatus.Success], (await prompt.LinkLlmClustersAsync([toDecoder], 1000)).Rets);
        var before = Snapshot(h, dst);
        var source = Snapshot(h, src);
        Assert.Equal(LlmStatus.Success, await PushRow0Async(prompt, src, dst));
        Assert.Equal(LlmStatus.Success, await decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 1), dst, 1, -1, new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), Enumerable.Range(0, 4).SelectMany(t => new[] { (t, 0L, Slice(source[t], 0, 64)), (t, 64L, Slice(source[t], 64, 64)) }));
        // The server (the decoder here) has no listening peer: it must force-unlink (§6.4).
        Assert.Equal(LlmStatus.UnlinkFailed, (await decoder.UnlinkLlmClustersAsync([Cluster(PromptId, [DecoderIp], (PromptIp, PromptPort))], 1000, false)).Status);
        Assert.Equal(LlmStatus.Success, (await prompt.UnlinkLlmClustersAsync([toDecoder], 1000, false)).Status);
        Assert.Equal(LlmStatus.NotYetLink, await PushRow0Async(prompt, src, dst));
    });

    // ---- HX unlink (§6.4 HX, §6.5) ---------------------------------------------------------------------------

    [Fact]
    public void HX_unlink_rejects_an_empty_list_and_a_non_force_cluster_without_exactly_one_remote_endpoint() => Scenario(ConformanceProfile.HX, async h =>
    {
        var (pair, src, dst, _, _) = await FilledAsync(h);
        var empty = await pair.Decoder.UnlinkLlmClustersAsync([], 1000, true);
        Assert.Equal((LlmStatus.ParamInvalid, 0), (empty.Status, empty.Rets.Count));
        var noRemote = await pair.Decoder.UnlinkLlmClustersAsync([Cluster(PromptId, [DecoderIp])], 1000, false);
        Assert.Equal((LlmStatus.ParamInvalid, LlmStatus.ParamInvalid), (noRemote.Status, noRemote.Rets.Single()));
        Assert.Equal(LlmStatus.Success, await PullRow0Async(pair.Decoder, src, dst)); // kept
        // Force needs no endpoint at all; an unknown cluster is SUCCESS.
        var force = await pair.Decoder.UnlinkLlmClustersAsync([Cluster(PromptId, []), Cluster(99, [])], 1000, true);
        Assert.Equal(LlmStatus.Success, force.Status);
        Assert.Equal([LlmStatus.Success, LlmStatus.Success], force.Rets);
        Assert.Equal(LlmStatus.NotYetLink, await PullRow0Async(pair.Decoder, src, dst));
    });

    [Fact]
    public void HX_non_force_unlink_without_a_listening_peer_is_unlink_failed_and_keeps_the_record_until_force() => Scenario(ConformanceProfile.HX, async h =>
    {
        var (pair, src, dst, _, _) = await FilledAsync(h);
        // The prompt (server) unlinking its client, which does not listen.
        var failed = await pair.Prompt.UnlinkLlmClustersAsync([ToDecoder()], 1000, false);
        Assert.Equal((LlmStatus.UnlinkFailed, LlmStatus.UnlinkFailed), (failed.Status, failed.Rets.Single()));
        Assert.Equal(LlmStatus.Success, await PushRow0Async(pair.Prompt, src, dst));
        Assert.Equal(LlmStatus.Success, (await pair.Prompt.UnlinkLlmClustersAsync([ToDecoder()], 1000, true)).Status);
        Assert.Equal(LlmStatus.NotYetLink, await PushRow0Async(pair.Prompt, src, dst));
    });

    [Fact]
    public void HX_after_the_peer_finalizes_non_force_unlink_fails_and_keeps_the_record_and_force_works() => Scenario(ConformanceProfile.HX, async h =>
    {
        var (pair, src, dst, _, _) = await FilledAsync(h);
        await pair.Prompt.ShutdownAsync();
        var failed = await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, false);
        Assert.Equal((LlmStatus.UnlinkFailed, LlmStatus.UnlinkFailed), (failed.Status, failed.Rets.Single()));
        Assert.Equal(LlmStatus.Success, await pair.Prompt.InitializeAsync(Options(0, PromptListen)));
        Assert.Equal((LlmStatus.AlreadyLink, LlmStatus.AlreadyLink), Single(await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000))); // stale record kept
        Assert.Equal(LlmStatus.Success, (await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, true)).Status);
        Assert.Equal([LlmStatus.Success], (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Rets);
    });

    /// <summary>§6.5: when only the server dropped its record, the client's new Link answers ALREADY_LINK (its stale
    /// record) and the server creates a fresh record — seen as EXIST_LINK on the server's SetRole — so the client's
    /// force-unlink + link recovers the link in both directions.</summary>
    [Fact]
    public void HX_when_only_the_server_dropped_its_record_link_is_already_link_and_the_server_builds_a_fresh_record() => Scenario(ConformanceProfile.HX, async h =>
    {
        var (pair, src, dst, _, _) = await FilledAsync(h);
        var sameListener = new Dictionary<string, string> { [LlmOptionKeys.ListenIpInfo] = PromptListen };
        Assert.Equal(LlmStatus.Success, (await pair.Prompt.UnlinkLlmClustersAsync([ToDecoder()], 1000, true)).Status);
        Assert.Equal(LlmStatus.Success, await pair.Prompt.SetRoleAsync(LlmRole.Prompt, sameListener)); // no record left on the server

        Assert.Equal((LlmStatus.AlreadyLink, LlmStatus.AlreadyLink), Single(await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)));
        Assert.Equal(LlmStatus.ExistLink, await pair.Prompt.SetRoleAsync(LlmRole.Prompt, sameListener)); // the fresh server record

        Assert.Equal(LlmStatus.Success, (await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, true)).Status);
        Assert.Equal([LlmStatus.Success], (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Rets);
        Assert.Equal(LlmStatus.Success, await PullRow0Async(pair.Decoder, src, dst));
        Assert.Equal(LlmStatus.Success, await PushRow0Async(pair.Prompt, src, dst));
    });

    [Fact]
    public void HX_when_only_the_client_force_unlinks_its_next_link_heals_the_servers_stale_record() => Scenario(ConformanceProfile.HX, async h =>
    {
        var (pair, src, dst, _, _) = await FilledAsync(h);
        Assert.Equal(LlmStatus.Success, (await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, true)).Status);
        Assert.Equal(LlmStatus.Timeout, await PushRow0Async(pair.Prompt, src, dst)); // the prompt's record is stale
        Assert.Equal([LlmStatus.Success], (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Rets);
        Assert.Equal(LlmStatus.Success, await PushRow0Async(pair.Prompt, src, dst));
        Assert.Equal(LlmStatus.Success, await PullRow0Async(pair.Decoder, src, dst));
    });

    [Fact]
    public void HX_hixl_backend_links_one_sided_ignores_force_and_cannot_move_its_listener() => Scenario(ConformanceProfile.HX, async h =>
    {
        var hixl = (LlmOptionKeys.TransferBackend, "hixl");
        var prompt = h.Create(PromptId, LlmRole.Prompt, PromptServer);
        var decoder = h.Create(DecoderId, LlmRole.Decoder, DecoderServer);
        Assert.Equal(LlmStatus.ParamInvalid, await decoder.InitializeAsync(Options(0, null, hixl))); // hixl needs a listener
        Assert.Equal(LlmStatus.Success, await prompt.InitializeAsync(Options(0, PromptListen, hixl)));
        Assert.Equal(LlmStatus.Success, await decoder.InitializeAsync(Options(0, $"{DecoderIp}:{PromptPort}", hixl)));
        var src = await CacheAsync(h, prompt, PromptServer);
        var dst = await CacheAsync(h, decoder, DecoderServer);
        Assert.Equal([LlmStatus.Success], (await decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Rets);
        Assert.Equal(LlmStatus.Success, await PullRow0Async(decoder, src, dst));
        Assert.Equal(LlmStatus.NotYetLink, await PushRow0Async(prompt, src, dst)); // only the side that linked holds a record
        // SetRole: links are not checked; the listener cannot move.
        Assert.Equal(LlmStatus.Success, await decoder.SetRoleAsync(LlmRole.Mix, NoOptions));
        Assert.Equal(LlmStatus.FeatureNotEnabled, await decoder.SetRoleAsync(LlmRole.Mix, new Dictionary<string, string> { [LlmOptionKeys.ListenIpInfo] = $"{DecoderIp}:{PromptPort + 1}" }));
        // Unlink is local only whatever force says: no endpoint is needed, unknown ids succeed.
        var unlink = await decoder.UnlinkLlmClustersAsync([Cluster(PromptId, []), Cluster(99, [])], 1000, false);
        Assert.Equal([LlmStatus.Success, LlmStatus.Success], unlink.Rets);
        Assert.Equal(LlmStatus.NotYetLink, await PullRow0Async(decoder, src, dst));
    });

    private static (LlmStatus, LlmStatus) Single(LinkLlmClustersResult result) => (result.Status, result.Rets.Single());
}
