namespace LlmDataDist.Conformance;

// §9.10–9.12 rule by rule: the validation order of pulls (first failing rule wins), layer selection, tensor counts,
// strides and divisibility per engine.
public abstract partial class ConformanceSuite
{
    private static CacheDesc Tensors(uint count, params long[] shape) => new() { NumTensors = count, DataType = DataType.Int32, Shape = shape.Length == 0 ? [8, 16] : shape };

    /// <summary>A pair with a source cache on the prompt and a destination on the decoder of the given shapes, filled.</summary>
    private static async Task<(Pair Pair, Cache Src, Cache Dst, byte[][] Source, byte[][] Before)> ShapedAsync(IConformanceHarness h, CacheDesc srcDesc, CacheDesc dstDesc, bool link = true)
    {
        var pair = link ? await LinkedPairAsync(h) : await InitializedPairAsync(h);
        var src = await CacheAsync(h, pair.Prompt, PromptServer, srcDesc);
        var dst = await CacheAsync(h, pair.Decoder, DecoderServer, dstDesc);
        Fill(h, src, 1);
        Fill(h, dst, 2);
        return (pair, src, dst, Snapshot(h, src), Snapshot(h, dst));
    }

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Pull_checks_the_local_side_before_the_link_and_the_link_before_the_remote_side(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, _, before) = await FilledAsync(h, link: false);
        var d = pair.Decoder;
        var known = new CacheIndex(PromptId, src.CacheId, 0);
        var unknown = new CacheIndex(PromptId, 99, 0);
        var noDst = dst with { CacheId = 99 };
        Assert.Equal(LlmStatus.KvCacheNotExist, await d.PullKvCacheAsync(known, noDst, 8, 999, new KvCacheExtParam()));      // D unknown before its rows
        Assert.Equal(LlmStatus.ParamInvalid, await d.PullKvCacheAsync(unknown, dst, 8, -1, new KvCacheExtParam()));          // local row before the link
        Assert.Equal(LlmStatus.ParamInvalid, await d.PullKvCacheAsync(unknown, dst, 0, 65, new KvCacheExtParam()));          // n > stride_D before the link
        Assert.Equal(LlmStatus.ParamInvalid, await d.PullKvCacheAsync(unknown, dst, 0, -1, Layers(0, 0, 2, 2)));             // dst range beyond D before the link
        Assert.Equal(LlmStatus.NotYetLink, await d.PullKvCacheAsync(unknown, dst, 0, -1, new KvCacheExtParam()));            // the link before S
        Assert.Equal(LlmStatus.KvCacheNotExist, await d.PullKvBlocksAsync(known, noDst, [0], [8], new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await d.PullKvBlocksAsync(unknown, dst, [0], [8], new KvCacheExtParam()));
        Assert.Equal(LlmStatus.NotYetLink, await d.PullKvBlocksAsync(unknown, dst, [9], [0], new KvCacheExtParam()));
        Assert.Equal([LlmStatus.Success], (await d.LinkLlmClustersAsync([ToPrompt()], 1000)).Rets);
        Assert.Equal(LlmStatus.KvCacheNotExist, await d.PullKvCacheAsync(unknown with { BatchIndex = 8 }, dst, 0, -1, new KvCacheExtParam())); // S before its rows
        Assert.Equal(LlmStatus.KvCacheNotExist, await d.PullKvBlocksAsync(unknown, dst, [9], [0], new KvCacheExtParam()));                     // S before its blocks
        Assert.Equal(LlmStatus.KvCacheNotExist, await d.PullKvCacheAsync(new CacheIndex(PromptId, 0, 0), dst, 0, -1, new KvCacheExtParam()));  // id 0 is nobody's
        AssertOnlyChanged(before, Snapshot(h, dst), []);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE, LlmStatus.KvCacheNotExist, LlmStatus.NotYetLink)]
    [InlineData(ConformanceProfile.HX, LlmStatus.ParamInvalid, LlmStatus.ParamInvalid)]
    public void Pull_range_lengths_are_checked_locally_on_HX_and_remotely_on_CE(ConformanceProfile profile, LlmStatus linkedUnknownSource, LlmStatus unlinked) => Scenario(profile, async h =>
    {
        var (pair, src, dst, _, before) = await FilledAsync(h);
        var unequal = Layers(0, 1, 0, 0);
        Assert.Equal(linkedUnknownSource, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, 99, 0), dst, 0, -1, unequal));
        Assert.Equal(LlmStatus.Success, (await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, false)).Status);
        Assert.Equal(unlinked, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, 0, -1, unequal));
        AssertOnlyChanged(before, Snapshot(h, dst), []);
    });

    [SkippableFact]
    public void CE_a_prompt_pull_fails_on_its_role_before_its_caches_are_looked_up() => Scenario(ConformanceProfile.CE, async h =>
    {
        var (pair, src, _, _, _) = await FilledAsync(h);
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.PullKvCacheAsync(new CacheIndex(DecoderId, 99, 0), src with { CacheId = 99 }, 0, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.PullKvBlocksAsync(new CacheIndex(DecoderId, 99, 0), src with { CacheId = 99 }, [0], [0], new KvCacheExtParam()));
    });

    [SkippableFact]
    public void HX_pulling_from_ones_own_cluster_id_is_invalid_before_the_destination_lookup() => Scenario(ConformanceProfile.HX, async h =>
    {
        var (pair, _, dst, _, _) = await FilledAsync(h);
        var self = new CacheIndex(DecoderId, 1, 0);
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvCacheAsync(self, dst with { CacheId = 99 }, 0, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvBlocksAsync(self, dst with { CacheId = 99 }, [0], [0], new KvCacheExtParam()));
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE, LlmStatus.KvCacheNotExist)]
    [InlineData(ConformanceProfile.HX, LlmStatus.ParamInvalid)]
    public void Pull_with_a_smaller_source_row_moves_at_most_stride_S_bytes(ConformanceProfile profile, LlmStatus remoteRowOutOfRange) => Scenario(profile, async h =>
    {
        // S rows are 32 bytes, D rows 64.
        var (pair, src, dst, source, before) = await ShapedAsync(h, Tensors(4, 8, 8), Tensors(4, 8, 16));
        var d = pair.Decoder;
        Assert.Equal(remoteRowOutOfRange, await d.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 8), dst, 0, 48, new KvCacheExtParam())); // CE: the row before n
        Assert.Equal(LlmStatus.ParamInvalid, await d.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, 0, 48, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await d.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, 0, -1, new KvCacheExtParam())); // -1 = stride_D > stride_S
        Assert.Equal(LlmStatus.ParamInvalid, await d.PullKvBlocksAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, [0], [0], new KvCacheExtParam())); // block sizes differ
        AssertOnlyChanged(before, Snapshot(h, dst), []);
        Assert.Equal(LlmStatus.Success, await d.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 2), dst, 1, 32, new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), Enumerable.Range(0, 4).Select(t => (t, 64L, Slice(source[t], 2 * 32, 32))));
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Pull_ignores_ranges_unless_both_sides_start_at_a_real_layer(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, source, before) = await FilledAsync(h);
        var all = Enumerable.Range(0, 4).Select(t => (t, 0L, Slice(source[t], 64, 64))).ToList();
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 1), dst, 0, -1, Layers(-1, 5, 1, 1)));
        AssertOnlyChanged(before, Snapshot(h, dst), all);
        Fill(h, dst, 2);
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 1), dst, 0, -1, Layers(0, 0, -1, -1)));
        AssertOnlyChanged(before, Snapshot(h, dst), all);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Pull_without_ranges_needs_equal_tensor_counts_and_with_ranges_pairs_across_unequal_caches(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, source, before) = await ShapedAsync(h, Tensors(6), Tensors(4));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, 0, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvBlocksAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, [0], [0], new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, 0, -1, Layers(3, 3, 0, 0))); // src range beyond S
        AssertOnlyChanged(before, Snapshot(h, dst), []);
        // Source layer 2 (tensors 4, 5) into destination layer 1 (tensors 2, 3), block 3 into block 6.
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvBlocksAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, [3], [6], Layers(2, 2, 1, 1)));
        AssertOnlyChanged(before, Snapshot(h, dst), [(2, 6 * 64, Slice(source[4], 3 * 64, 64)), (3, 6 * 64, Slice(source[5], 3 * 64, 64))]);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE, LlmStatus.Success)]
    [InlineData(ConformanceProfile.HX, LlmStatus.ParamInvalid)]
    public void Pull_with_ranges_needs_a_divisible_destination_on_HX_only(ConformanceProfile profile, LlmStatus expected) => Scenario(profile, async h =>
    {
        var (pair, src, dst, source, before) = await FilledAsync(h);
        // N = 3 over 4 tensors: layer 0 is tensors 0..2 on both sides; 4 % 3 ≠ 0.
        Assert.Equal(expected, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 4), dst, 4, -1, Layers(0, 0, 0, 0, 3)));
        var writes = expected == LlmStatus.Success ? Enumerable.Range(0, 3).Select(t => (t, 4 * 64L, Slice(source[t], 4 * 64, 64))) : [];
        AssertOnlyChanged(before, Snapshot(h, dst), writes);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void PullKvBlocks_with_a_duplicated_destination_block_applies_pairs_in_order(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, source, before) = await FilledAsync(h);
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvBlocksAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, [1, 2], [3, 3], new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), Enumerable.Range(0, 4).Select(t => (t, 3 * 64L, Slice(source[t], 2 * 64, 64))));
    });

    [SkippableFact]
    public void CE_a_deallocated_cache_cannot_be_pulled() => Scenario(ConformanceProfile.CE, async h =>
    {
        var (pair, src, dst, _, before) = await FilledAsync(h);
        Assert.Equal(LlmStatus.Success, await pair.Prompt.DeallocateCacheAsync(src.CacheId));
        Assert.Equal(LlmStatus.KvCacheNotExist, await PullRow0Async(pair.Decoder, src, dst));
        Assert.Equal(LlmStatus.Success, await pair.Decoder.DeallocateCacheAsync(dst.CacheId));
        Assert.Equal(LlmStatus.KvCacheNotExist, await PullRow0Async(pair.Decoder, src, dst));
        GC.KeepAlive(before);
    });
}
