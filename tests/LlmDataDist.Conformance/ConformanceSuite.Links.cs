namespace LlmDataDist.Conformance;

// §6 and §9.5–9.7: links, unlinks, and SetRole with links present.
public abstract partial class ConformanceSuite
{
    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Link_rejects_a_non_positive_timeout_and_non_IPv4_text_before_anything_else(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var pair = await InitializedPairAsync(h);
        Assert.Equal((LlmStatus.ParamInvalid, 0), Shape(await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 0)));
        Assert.Equal((LlmStatus.ParamInvalid, 0), Shape(await pair.Decoder.LinkLlmClustersAsync([ToPrompt(remoteIp: "10.0.0")], 1000)));
        Assert.Equal((LlmStatus.ParamInvalid, 0), Shape(await pair.Decoder.LinkLlmClustersAsync([ToPrompt(localIp: "")], 1000)));
        Assert.Equal((LlmStatus.ParamInvalid, 0), Shape(await pair.Decoder.LinkLlmClustersAsync([], 1000)));
    });

    private static (LlmStatus, int) Shape(LinkLlmClustersResult result) => (result.Status, result.Rets.Count);

    [SkippableFact]
    public void CE_only_a_decoder_may_link() => Scenario(ConformanceProfile.CE, async h =>
    {
        var pair = await InitializedPairAsync(h);
        var result = await pair.Prompt.LinkLlmClustersAsync([ToDecoder()], 1000);
        Assert.Equal((LlmStatus.ParamInvalid, 0), Shape(result));
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE, LlmStatus.Success)]
    [InlineData(ConformanceProfile.HX, LlmStatus.AlreadyLink)]
    public void Linking_twice_reports_already_link_per_cluster_and_overall_per_engine(ConformanceProfile profile, LlmStatus overall) => Scenario(profile, async h =>
    {
        var pair = await LinkedPairAsync(h);
        var again = await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000);
        Assert.Equal(overall, again.Status);
        Assert.Equal([LlmStatus.AlreadyLink], again.Rets);
    });

    [SkippableFact]
    public void CE_a_cluster_named_twice_in_one_call_is_a_repeat_request() => Scenario(ConformanceProfile.CE, async h =>
    {
        var pair = await InitializedPairAsync(h);
        var result = await pair.Decoder.LinkLlmClustersAsync([ToPrompt(), ToPrompt()], 1000);
        Assert.Equal(LlmStatus.Success, result.Status);
        Assert.Equal([LlmStatus.Success, LlmStatus.RepeatRequest], result.Rets);
    });

    [SkippableFact]
    public void CE_more_than_16_clusters_in_one_call_exceeds_the_limit() => Scenario(ConformanceProfile.CE, async h =>
    {
        var pair = await InitializedPairAsync(h);
        var clusters = Enumerable.Range(0, 17).Select(i => ToPrompt(remoteId: (ulong)(100 + i))).ToList();
        Assert.Equal((LlmStatus.ClusterNumExceedLimit, 0), Shape(await pair.Decoder.LinkLlmClustersAsync(clusters, 1000)));
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Linking_to_an_endpoint_nobody_listens_on_fails(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var pair = await InitializedPairAsync(h);
        var result = await pair.Decoder.LinkLlmClustersAsync([ToPrompt(port: 1)], 1000);
        Assert.Equal(LlmStatus.LinkFailed, result.Status);
        Assert.Equal([LlmStatus.LinkFailed], result.Rets);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE, LlmStatus.NotYetLink)]
    [InlineData(ConformanceProfile.HX, LlmStatus.Success)]
    public void Unlinking_a_cluster_never_linked_succeeds_overall(ConformanceProfile profile, LlmStatus perCluster) => Scenario(profile, async h =>
    {
        var pair = await InitializedPairAsync(h);
        var result = await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, false);
        Assert.Equal(LlmStatus.Success, result.Status);
        Assert.Equal([perCluster], result.Rets);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void After_unlink_transfers_are_not_yet_link_and_a_new_link_works(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var pair = await LinkedPairAsync(h);
        var src = await CacheAsync(h, pair.Prompt, PromptServer);
        var dst = await CacheAsync(h, pair.Decoder, DecoderServer);
        var unlink = await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, false);
        Assert.Equal((LlmStatus.Success, LlmStatus.Success), (unlink.Status, unlink.Rets.Single()));
        Assert.Equal(LlmStatus.NotYetLink, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, 0, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.Success, (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Status);
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, 0, -1, new KvCacheExtParam()));
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void SetRole_with_a_link_present_is_exist_link(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var pair = await LinkedPairAsync(h, (LlmOptionKeys.EnableSwitchRole, "1"));
        Assert.Equal(LlmStatus.ExistLink, await pair.Decoder.SetRoleAsync(LlmRole.Mix, new Dictionary<string, string>()));
        Assert.Equal(LlmStatus.Success, (await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, false)).Status);
        Assert.Equal(LlmStatus.Success, await pair.Decoder.SetRoleAsync(LlmRole.Mix, new Dictionary<string, string>()));
    });

    [SkippableFact]
    public void CE_SetRole_needs_the_switch_role_option() => Scenario(ConformanceProfile.CE, async h =>
    {
        var b = h.Create(DecoderId, LlmRole.Decoder);
        Assert.Equal(LlmStatus.Success, await b.InitializeAsync(Options()));
        Assert.Equal(LlmStatus.FeatureNotEnabled, await b.SetRoleAsync(LlmRole.Mix, new Dictionary<string, string>()));
    });

    [SkippableFact]
    public void CE_SetRole_walks_every_role_when_enabled_and_a_prompt_needs_a_listen_endpoint() => Scenario(ConformanceProfile.CE, async h =>
    {
        var b = h.Create(DecoderId, LlmRole.Mix);
        Assert.Equal(LlmStatus.Success, await b.InitializeAsync(Options(0, null, (LlmOptionKeys.EnableSwitchRole, "1"))));
        var listen = new Dictionary<string, string> { [LlmOptionKeys.ListenIpInfo] = PromptListen };
        var none = new Dictionary<string, string>();
        Assert.Equal(LlmStatus.ParamInvalid, await b.SetRoleAsync(LlmRole.Prompt, none));
        Assert.Equal(LlmStatus.ParamInvalid, await b.SetRoleAsync(LlmRole.End, none));
        Assert.Equal(LlmStatus.ParamInvalid, await b.SetRoleAsync(LlmRole.Decoder, new Dictionary<string, string> { [LlmOptionKeys.ListenIpInfo] = "nonsense" }));
        foreach (var (role, options) in new[] { (LlmRole.Decoder, none), (LlmRole.Prompt, listen), (LlmRole.Mix, none), (LlmRole.Prompt, listen), (LlmRole.Decoder, none) })
        {
            Assert.Equal(LlmStatus.Success, await b.SetRoleAsync(role, options));
        }
    });

    [SkippableFact]
    public void CE_an_instance_that_became_prompt_by_SetRole_accepts_links() => Scenario(ConformanceProfile.CE, async h =>
    {
        var prompt = h.Create(PromptId, LlmRole.Decoder, PromptServer);
        var decoder = h.Create(DecoderId, LlmRole.Decoder, DecoderServer);
        Assert.Equal(LlmStatus.Success, await prompt.InitializeAsync(Options(0, null, (LlmOptionKeys.EnableSwitchRole, "1"))));
        Assert.Equal(LlmStatus.Success, await decoder.InitializeAsync(Options()));
        Assert.Equal(LlmStatus.LinkFailed, (await decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Status);
        Assert.Equal(LlmStatus.Success, await prompt.SetRoleAsync(LlmRole.Prompt, new Dictionary<string, string> { [LlmOptionKeys.ListenIpInfo] = PromptListen }));
        Assert.Equal(LlmStatus.Success, (await decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Status);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void A_peer_that_finalizes_leaves_the_survivor_half_open_until_force_unlink_and_relink(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var pair = await LinkedPairAsync(h);
        var timeout = profile == ConformanceProfile.CE ? LlmStatus.WaitProcTimeout : LlmStatus.Timeout;
        await pair.Prompt.ShutdownAsync();
        Assert.Equal(LlmStatus.Success, await pair.Prompt.InitializeAsync(Options(0, PromptListen)));
        var src = await CacheAsync(h, pair.Prompt, PromptServer);
        var dst = await CacheAsync(h, pair.Decoder, DecoderServer);
        var index = new CacheIndex(PromptId, src.CacheId, 0);
        Assert.Equal(timeout, await pair.Decoder.PullKvCacheAsync(index, dst, 0, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.Success, (await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, true)).Status);
        Assert.Equal(LlmStatus.Success, (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Status);
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvCacheAsync(index, dst, 0, -1, new KvCacheExtParam()));
    });
}
