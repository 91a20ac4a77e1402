namespace LlmDataDist.Conformance;

// §5: states, Initialize / Finalize, and what every method answers before Initialize.
public abstract partial class ConformanceSuite
{
    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Every_method_before_Initialize_fails_except_those_the_engine_lacks(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var b = h.Create(PromptId, LlmRole.Decoder);
        var ce = profile == ConformanceProfile.CE;
        var cache = new Cache { CacheId = 1, CacheDesc = SampleDesc };
        var index = new CacheIndex(PromptId, 1, 0);
        var unsupportedOnHx = ce ? LlmStatus.Failed : LlmStatus.FeatureNotEnabled;
        Assert.Equal(LlmStatus.Failed, await b.SetRoleAsync(LlmRole.Prompt, new Dictionary<string, string>()));
        Assert.Equal(LlmStatus.Failed, (await b.LinkLlmClustersAsync([ToPrompt()], 1000)).Status);
        Assert.Equal(LlmStatus.Failed, (await b.UnlinkLlmClustersAsync([ToPrompt()], 1000, false)).Status);
        Assert.Equal(unsupportedOnHx, (await b.AllocateCacheAsync(SampleDesc)).Status);
        Assert.Equal(unsupportedOnHx, await b.DeallocateCacheAsync(1));
        Assert.Equal(LlmStatus.Failed, await b.PullKvCacheAsync(index, cache, 0, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.Failed, await b.PullKvBlocksAsync(index, cache, [0], [0], new KvCacheExtParam()));
        Assert.Equal(LlmStatus.Failed, await b.PushKvCacheAsync(cache, index, 0, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.Failed, await b.PushKvBlocksAsync(cache, index, [0], [0], new KvCacheExtParam()));
        Assert.Equal(unsupportedOnHx, await b.CopyKvCacheAsync(cache, cache, 0, 0, 0, -1));
        Assert.Equal(unsupportedOnHx, await b.CopyKvBlocksAsync(cache, cache, [0], [[1]]));
        Assert.Equal(ce ? LlmStatus.FeatureNotEnabled : LlmStatus.Failed, (await b.RegisterKvCacheAsync(SampleDesc, [1, 2, 3, 4], new RegisterCfg())).Status);
        Assert.Equal(ce ? LlmStatus.FeatureNotEnabled : LlmStatus.Failed, await b.UnregisterKvCacheAsync(1));
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Initialize_twice_succeeds_and_ignores_the_second_options(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var b = h.Create(DecoderId, LlmRole.Decoder);
        Assert.Equal(LlmStatus.Success, await b.InitializeAsync(Options()));
        Assert.Equal(LlmStatus.Success, await b.InitializeAsync(new Dictionary<string, string> { [LlmOptionKeys.DeviceId] = "not a number" }));
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void A_failed_Initialize_leaves_the_instance_constructed_and_retryable(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var b = h.Create(DecoderId, LlmRole.Decoder);
        Assert.Equal(LlmStatus.ParamInvalid, await b.InitializeAsync(new Dictionary<string, string>()));
        Assert.Equal(LlmStatus.Failed, await b.SetRoleAsync(LlmRole.Mix, new Dictionary<string, string>())); // still constructed
        Assert.Equal(LlmStatus.Success, await b.InitializeAsync(Options()));
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE, LlmRole.End)]
    [InlineData(ConformanceProfile.HX, LlmRole.End)]
    [InlineData(ConformanceProfile.CE, (LlmRole)0)]
    [InlineData(ConformanceProfile.HX, (LlmRole)99)]
    public void Initialize_rejects_a_constructor_role_that_is_not_a_role(ConformanceProfile profile, LlmRole role) => Scenario(profile, async h =>
    {
        var b = h.Create(DecoderId, role);
        Assert.Equal(LlmStatus.ParamInvalid, await b.InitializeAsync(Options()));
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE, LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.HX, LlmStatus.Success)]
    public void A_prompt_without_a_listen_endpoint_is_invalid_on_CE_only(ConformanceProfile profile, LlmStatus expected) => Scenario(profile, async h =>
    {
        var b = h.Create(PromptId, LlmRole.Prompt);
        Assert.Equal(expected, await b.InitializeAsync(Options()));
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Finalize_forgets_every_cache_and_ids_restart_at_1_after_Initialize(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var b = h.Create(DecoderId, LlmRole.Decoder);
        Assert.Equal(LlmStatus.Success, await b.InitializeAsync(Options()));
        var first = await CacheAsync(h, b, 0);
        var second = await CacheAsync(h, b, 0);
        Assert.Equal([1L, 2L], [first.CacheId, second.CacheId]);
        await b.ShutdownAsync();
        await b.ShutdownAsync(); // twice: a no-op
        Assert.Equal(LlmStatus.Success, await b.InitializeAsync(Options()));
        Assert.Equal(1L, (await CacheAsync(h, b, 0)).CacheId);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Finalize_before_Initialize_is_a_no_op(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var b = h.Create(DecoderId, LlmRole.Decoder);
        await b.ShutdownAsync();
        Assert.Equal(LlmStatus.Success, await b.InitializeAsync(Options()));
    });
}
