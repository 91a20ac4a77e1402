namespace LlmDataDist.Conformance;

// §9.10, §9.15–9.16 rule by rule: push validation order per engine, layer rules, divisibility, strides, the
// caller's num_tensors, partial effects, and CE's single-device rule.
public abstract partial class ConformanceSuite
{
    [SkippableTheory]
    [InlineData(ConformanceProfile.CE, LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.HX, LlmStatus.NotYetLink)]
    public void Push_checks_the_source_locally_on_CE_and_after_the_link_on_HX(ConformanceProfile profile, LlmStatus sourceRuleWithoutLink) => Scenario(profile, async h =>
    {
        var (pair, src, dst, _, before) = await FilledAsync(h, link: false);
        var p = pair.Prompt;
        var index = new CacheIndex(DecoderId, dst.CacheId, 0);
        Assert.Equal(LlmStatus.KvCacheNotExist, await p.PushKvCacheAsync(src with { CacheId = 99 }, index, 8, -1, new KvCacheExtParam())); // S before its rows
        Assert.Equal(sourceRuleWithoutLink, await p.PushKvCacheAsync(src, index, 8, -1, new KvCacheExtParam()));                           // src row ≥ rows_S
        Assert.Equal(sourceRuleWithoutLink, await p.PushKvCacheAsync(src, index, 0, -1, Layers(0, 0, 0, 0, 3)));                          // 4 % 3 ≠ 0
        Assert.Equal(sourceRuleWithoutLink, await p.PushKvBlocksAsync(src, index, [8], [0], new KvCacheExtParam()));                      // src block ≥ rows_S
        Assert.Equal(sourceRuleWithoutLink, await p.PushKvCacheAsync(src, index, 0, -1, Layers(0, 0, -1, -1)));                           // dst layer "huge"
        Assert.Equal(LlmStatus.NotYetLink, await p.PushKvCacheAsync(src, index with { CacheId = 99 }, 0, -1, new KvCacheExtParam()));
        Assert.Equal([LlmStatus.Success], (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Rets);
        Assert.Equal(LlmStatus.ParamInvalid, await p.PushKvCacheAsync(src, index, 8, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await p.PushKvCacheAsync(src, index, 0, -1, Layers(0, 0, 0, 0, 3)));
        Assert.Equal(LlmStatus.ParamInvalid, await p.PushKvCacheAsync(src, index, 0, -1, Layers(0, 0, -1, -1)));
        Assert.Equal(LlmStatus.KvCacheNotExist, await p.PushKvCacheAsync(src, index with { CacheId = 99, BatchIndex = 8 }, 0, -1, Layers(1, 1, 1, 1))); // D before its rows
        Assert.Equal(LlmStatus.KvCacheNotExist, await p.PushKvBlocksAsync(src, index with { CacheId = 99 }, [0], [8], new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), []);
    });

    [SkippableFact]
    public void CE_a_decoder_push_fails_on_its_role_before_its_source_is_looked_up() => Scenario(ConformanceProfile.CE, async h =>
    {
        var (pair, _, dst, _, _) = await FilledAsync(h);
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PushKvCacheAsync(dst with { CacheId = 99 }, new CacheIndex(PromptId, 1, 0), 0, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PushKvBlocksAsync(dst with { CacheId = 99 }, new CacheIndex(PromptId, 1, 0), [0], [0], new KvCacheExtParam()));
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE, LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.HX, LlmStatus.Success)]
    public void CE_bounds_the_destination_layer_by_the_sources_layer_count(ConformanceProfile profile, LlmStatus expected) => Scenario(profile, async h =>
    {
        // S has 2 layers, D has 4: destination layer 3 exists, but CE checks it against S (a quirk, §9.15).
        var (pair, src, dst, source, before) = await ShapedAsync(h, Tensors(4), Tensors(8));
        Assert.Equal(expected, await pair.Prompt.PushKvCacheAsync(src, new CacheIndex(DecoderId, dst.CacheId, 2), 5, -1, Layers(1, 1, 3, 3)));
        var writes = expected == LlmStatus.Success ? new[] { (6, 2 * 64L, Slice(source[2], 5 * 64, 64)), (7, 2 * 64L, Slice(source[3], 5 * 64, 64)) } : [];
        AssertOnlyChanged(before, Snapshot(h, dst), writes);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE, LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.HX, LlmStatus.Success)]
    public void A_push_needs_a_divisible_destination_on_CE_only(ConformanceProfile profile, LlmStatus expected) => Scenario(profile, async h =>
    {
        // D has 5 tensors: 5 % 2 ≠ 0; HX only bounds the destination layer by floor(5 / 2) = 2.
        var (pair, src, dst, source, before) = await ShapedAsync(h, Tensors(4), Tensors(5));
        Assert.Equal(expected, await pair.Prompt.PushKvCacheAsync(src, new CacheIndex(DecoderId, dst.CacheId, 7), 0, -1, Layers(0, 0, 1, 1)));
        var writes = expected == LlmStatus.Success ? new[] { (2, 7 * 64L, Slice(source[0], 0, 64)), (3, 7 * 64L, Slice(source[1], 0, 64)) } : [];
        AssertOnlyChanged(before, Snapshot(h, dst), writes);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void A_push_of_every_layer_ignores_the_destination_range(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, source, before) = await FilledAsync(h);
        Assert.Equal(LlmStatus.Success, await pair.Prompt.PushKvCacheAsync(src, new CacheIndex(DecoderId, dst.CacheId, 2), 3, -1, Layers(-1, -1, 1, 1)));
        AssertOnlyChanged(before, Snapshot(h, dst), Enumerable.Range(0, 4).Select(t => (t, 2 * 64L, Slice(source[t], 3 * 64, 64))));
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void A_push_of_every_layer_counts_layers_from_the_callers_num_tensors(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, source, before) = await FilledAsync(h);
        // The cache has 4 tensors, the caller says 2: only layer 0 is pushed (Doc≠code #8).
        var shortDesc = src with { CacheDesc = src.CacheDesc with { NumTensors = 2 } };
        Assert.Equal(LlmStatus.Success, await pair.Prompt.PushKvCacheAsync(shortDesc, new CacheIndex(DecoderId, dst.CacheId, 1), 1, -1, new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), [(0, 64, Slice(source[0], 64, 64)), (1, 64, Slice(source[1], 64, 64))]);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void A_push_into_a_destination_with_fewer_tensors_writes_the_layers_that_exist_then_fails(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, source, before) = await ShapedAsync(h, Tensors(4), Tensors(2));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.PushKvCacheAsync(src, new CacheIndex(DecoderId, dst.CacheId, 0), 0, -1, new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), [(0, 0, Slice(source[0], 0, 64)), (1, 0, Slice(source[1], 0, 64))]);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Push_rows_must_fit_the_destination_rows_and_blocks_must_match(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var pair = await LinkedPairAsync(h);
        var src = await CacheAsync(h, pair.Prompt, PromptServer);                           // rows of 64 bytes
        var narrow = await CacheAsync(h, pair.Decoder, DecoderServer, Tensors(4, 8, 8));   // rows of 32
        var wide = await CacheAsync(h, pair.Decoder, DecoderServer, Tensors(4, 8, 32));    // rows of 128
        Fill(h, src, 1);
        Fill(h, narrow, 2);
        Fill(h, wide, 3);
        var source = Snapshot(h, src);
        var narrowBefore = Snapshot(h, narrow);
        var wideBefore = Snapshot(h, wide);
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.PushKvCacheAsync(src, new CacheIndex(DecoderId, narrow.CacheId, 0), 0, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.PushKvBlocksAsync(src, new CacheIndex(DecoderId, narrow.CacheId, 0), [0], [0], new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.PushKvBlocksAsync(src, new CacheIndex(DecoderId, wide.CacheId, 0), [0], [0], new KvCacheExtParam()));
        AssertOnlyChanged(narrowBefore, Snapshot(h, narrow), []);
        AssertOnlyChanged(wideBefore, Snapshot(h, wide), []);
        // A 64-byte source row into a 128-byte destination row fills its first half.
        Assert.Equal(LlmStatus.Success, await pair.Prompt.PushKvCacheAsync(src, new CacheIndex(DecoderId, wide.CacheId, 5), 2, -1, new KvCacheExtParam()));
        AssertOnlyChanged(wideBefore, Snapshot(h, wide), Enumerable.Range(0, 4).Select(t => (t, 5 * 128L, Slice(source[t], 2 * 64, 64))));
    });

    [SkippableFact]
    public void CE_multi_device_instances_allocate_per_device_and_cannot_push_or_switch_roles() => Scenario(ConformanceProfile.CE, async h =>
    {
        var prompt = h.Create(PromptId, LlmRole.Prompt, PromptServer);
        var twoDevices = new Dictionary<string, string>
        {
            [LlmOptionKeys.DeviceId] = "0;1",
            [LlmOptionKeys.ListenIpInfo] = $"{PromptIp}:{PromptPort};{PromptIp}:{PromptPort + 1}",
        };
        Assert.Equal(LlmStatus.Success, await prompt.InitializeAsync(twoDevices));
        var cache = (await prompt.AllocateCacheAsync(SampleDesc)).Cache;
        Assert.Equal(8, cache.TensorAddrs.Distinct().Count()); // 4 tensors × 2 devices, device-major
        // Push: more than one device is FEATURE_NOT_ENABLED before the source is even looked up.
        Assert.Equal(LlmStatus.FeatureNotEnabled, await prompt.PushKvCacheAsync(cache with { CacheId = 99 }, new CacheIndex(DecoderId, 1, 0), 0, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.FeatureNotEnabled, await prompt.PushKvBlocksAsync(cache, new CacheIndex(DecoderId, 1, 0), [0], [0], new KvCacheExtParam()));
        // SetRole: the option check (step 4) comes before the device check (step 5); both before the listen rule (6).
        Assert.Equal(LlmStatus.FeatureNotEnabled, await prompt.SetRoleAsync(LlmRole.Prompt, NoOptions));
        var enabled = h.Create(3, LlmRole.Decoder, PromptServer);
        Assert.Equal(LlmStatus.Success, await enabled.InitializeAsync(new Dictionary<string, string> { [LlmOptionKeys.DeviceId] = "2;3", [LlmOptionKeys.EnableSwitchRole] = "1" }));
        Assert.Equal(LlmStatus.FeatureNotEnabled, await enabled.SetRoleAsync(LlmRole.Prompt, NoOptions));
        // Copy needs one address per tensor and device.
        Assert.Equal(LlmStatus.Success, await prompt.CopyKvCacheAsync(cache, cache, 0, 1, 0, -1));
        Assert.Equal(LlmStatus.ParamInvalid, await prompt.CopyKvCacheAsync(cache with { TensorAddrs = cache.TensorAddrs.Take(4).ToList() }, cache, 0, 1, 0, -1));
        // Link: one local and one remote entry per device.
        var decoder = h.Create(DecoderId, LlmRole.Decoder, DecoderServer);
        Assert.Equal(LlmStatus.Success, await decoder.InitializeAsync(new Dictionary<string, string> { [LlmOptionKeys.DeviceId] = "0;1" }));
        Assert.Equal((LlmStatus.ParamInvalid, 0), Shape(await decoder.LinkLlmClustersAsync([ToPrompt()], 1000)));
        var both = Cluster(PromptId, [DecoderIp, DecoderIp], (PromptIp, PromptPort), (PromptIp, (ushort)(PromptPort + 1)));
        Assert.Equal([LlmStatus.Success], (await decoder.LinkLlmClustersAsync([both], 1000)).Rets);
    });
}
