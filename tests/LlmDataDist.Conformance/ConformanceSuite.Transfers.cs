namespace LlmDataDist.Conformance;

// §9.10–9.12 and §9.15–9.16: pulls and pushes, their validation and their exact data effect.
public abstract partial class ConformanceSuite
{
    private static KvCacheExtParam Layers(int a, int b, int c, int d, byte n = 2) =>
        new() { SrcLayerRange = new(a, b), DstLayerRange = new(c, d), TensorNumPerLayer = n };

    private static Task<(Pair Pair, Cache Src, Cache Dst, byte[][] Source, byte[][] Before)> FilledAsync(IConformanceHarness h, bool link = true) =>
        ShapedAsync(h, SampleDesc, SampleDesc, link);

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void PullKvCache_copies_exactly_the_remote_row_into_the_local_row_of_every_tensor(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, source, before) = await FilledAsync(h);
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 5), dst, 2, -1, new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), Enumerable.Range(0, 4).Select(t => (t, 2 * 64L, Slice(source[t], 5 * 64, 64))));
        AssertOnlyChanged(source, Snapshot(h, src), []); // the source is read, never written
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void PullKvCache_with_a_size_moves_that_many_bytes_per_tensor(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, source, before) = await FilledAsync(h);
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 1), dst, 0, 24, new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), Enumerable.Range(0, 4).Select(t => (t, 0L, Slice(source[t], 64, 24))));
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void PullKvCache_with_layer_ranges_pairs_the_selected_tensors(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, source, before) = await FilledAsync(h);
        // Source layer 1 (tensors 2, 3) into destination layer 0 (tensors 0, 1).
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, 0, -1, Layers(1, 1, 0, 0)));
        AssertOnlyChanged(before, Snapshot(h, dst), [(0, 0, Slice(source[2], 0, 64)), (1, 0, Slice(source[3], 0, 64))]);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void PullKvBlocks_moves_odd_source_blocks_to_even_destination_blocks(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, source, before) = await FilledAsync(h);
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvBlocksAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, [1, 3, 5, 7], [0, 2, 4, 6], new KvCacheExtParam()));
        var pairs = new[] { (1, 0), (3, 2), (5, 4), (7, 6) };
        AssertOnlyChanged(before, Snapshot(h, dst), Enumerable.Range(0, 4).SelectMany(t => pairs.Select(p => (t, p.Item2 * 64L, Slice(source[t], p.Item1 * 64, 64)))));
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void PullKvBlocks_can_reverse_blocks(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, source, before) = await FilledAsync(h);
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvBlocksAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, [0, 1, 2, 3], [3, 2, 1, 0], new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), Enumerable.Range(0, 4).SelectMany(t => Enumerable.Range(0, 4).Select(j => (t, (3 - j) * 64L, Slice(source[t], j * 64, 64)))));
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE, LlmStatus.KvCacheNotExist)]
    [InlineData(ConformanceProfile.HX, LlmStatus.ParamInvalid)]
    public void A_remote_row_out_of_range_is_kv_cache_not_exist_on_CE_and_invalid_on_HX(ConformanceProfile profile, LlmStatus expected) => Scenario(profile, async h =>
    {
        var (pair, src, dst, _, before) = await FilledAsync(h);
        Assert.Equal(expected, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 8), dst, 0, -1, new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), []);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Pulls_of_unknown_caches_are_kv_cache_not_exist_and_change_nothing(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, _, before) = await FilledAsync(h);
        Assert.Equal(LlmStatus.KvCacheNotExist, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, 99, 0), dst, 0, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.KvCacheNotExist, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst with { CacheId = 99 }, 0, -1, new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), []);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Pull_argument_rules_come_back_as_param_invalid_without_effect(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, _, before) = await FilledAsync(h);
        var index = new CacheIndex(PromptId, src.CacheId, 0);
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvCacheAsync(index, dst, 0, 0, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvCacheAsync(index, dst, 0, 65, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvCacheAsync(index, dst, 8, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvCacheAsync(index, dst, 0, -1, Layers(1, 0, 0, 0)));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvCacheAsync(index, dst, 0, -1, Layers(0, 0, 0, 0, 0)));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvCacheAsync(index, dst, 0, -1, Layers(0, 1, 0, 0)));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvBlocksAsync(index with { BatchIndex = 1 }, dst, [0], [0], new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvBlocksAsync(index, dst, [], [], new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvBlocksAsync(index, dst, [0, 1], [0], new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvBlocksAsync(index, dst, [0], [8], new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvBlocksAsync(index, dst, [8], [0], new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), []);
    });

    [SkippableFact]
    public void CE_only_a_decoder_pulls_and_only_a_prompt_pushes() => Scenario(ConformanceProfile.CE, async h =>
    {
        var (pair, src, dst, _, _) = await FilledAsync(h);
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.PullKvCacheAsync(new CacheIndex(DecoderId, dst.CacheId, 0), src, 0, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PushKvCacheAsync(dst, new CacheIndex(PromptId, src.CacheId, 0), 0, -1, new KvCacheExtParam()));
    });

    [SkippableFact]
    public void HX_transfers_ignore_roles_and_pulling_from_oneself_is_invalid() => Scenario(ConformanceProfile.HX, async h =>
    {
        var (pair, src, dst, _, _) = await FilledAsync(h);
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PushKvCacheAsync(dst, new CacheIndex(PromptId, src.CacheId, 0), 0, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.Success, await pair.Prompt.PullKvCacheAsync(new CacheIndex(DecoderId, dst.CacheId, 0), src, 0, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvCacheAsync(new CacheIndex(DecoderId, dst.CacheId, 0), dst, 0, -1, new KvCacheExtParam()));
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void PushKvCache_with_one_layer_of_one_tensor_writes_that_row_of_that_tensor(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, source, before) = await FilledAsync(h);
        // The CE docs' example: tensor 3, row 3 → tensor 3, row 3 with ranges (3,3)/(3,3) and N = 1.
        Assert.Equal(LlmStatus.Success, await pair.Prompt.PushKvCacheAsync(src, new CacheIndex(DecoderId, dst.CacheId, 3), 3, -1, Layers(3, 3, 3, 3, 1)));
        AssertOnlyChanged(before, Snapshot(h, dst), [(3, 3 * 64, Slice(source[3], 3 * 64, 64))]);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void PushKvBlocks_then_PushKvCache_as_in_the_HX_sample_makes_rows_4_to_7_equal(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, source, _) = await FilledAsync(h);
        for (var layer = 0; layer < 4; layer++)
        {
            Assert.Equal(LlmStatus.Success, await pair.Prompt.PushKvBlocksAsync(src, new CacheIndex(DecoderId, dst.CacheId, 0), [5, 6, 7], [5, 6, 7], Layers(layer, layer, layer, layer, 1)));
        }

        Assert.Equal(LlmStatus.Success, await pair.Prompt.PushKvCacheAsync(src, new CacheIndex(DecoderId, dst.CacheId, 4), 4, -1, Layers(0, 0, 0, 0, 4)));
        var after = Snapshot(h, dst);
        for (var t = 0; t < 4; t++)
        {
            Assert.Equal(Slice(source[t], 4 * 64, 4 * 64), Slice(after[t], 4 * 64, 4 * 64));
        }
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Push_of_every_layer_writes_every_tensor_row(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, source, before) = await FilledAsync(h);
        Assert.Equal(LlmStatus.Success, await pair.Prompt.PushKvCacheAsync(src, new CacheIndex(DecoderId, dst.CacheId, 6), 1, -1, new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), Enumerable.Range(0, 4).Select(t => (t, 6 * 64L, Slice(source[t], 64, 64))));
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void A_multi_layer_push_failing_at_a_later_layer_keeps_the_earlier_layers(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, source, before) = await FilledAsync(h);
        // Layers 0..1 of the source into destination layers 1..2: layer 2 does not exist (2 layers of 2 tensors).
        var status = await pair.Prompt.PushKvCacheAsync(src, new CacheIndex(DecoderId, dst.CacheId, 0), 0, -1, Layers(0, 1, 1, 2));
        Assert.Equal(LlmStatus.ParamInvalid, status);
        AssertOnlyChanged(before, Snapshot(h, dst), [(2, 0, Slice(source[0], 0, 64)), (3, 0, Slice(source[1], 0, 64))]);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Push_argument_rules_come_back_as_param_invalid_without_effect(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, _, before) = await FilledAsync(h);
        var index = new CacheIndex(DecoderId, dst.CacheId, 0);
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.PushKvCacheAsync(src with { CacheDesc = src.CacheDesc with { Placement = CachePlacement.Host } }, index, 0, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.PushKvCacheAsync(src, index, 0, 64, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.PushKvCacheAsync(src, index, 0, -1, Layers(0, 1, 0, 0)));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.PushKvCacheAsync(src with { CacheDesc = src.CacheDesc with { NumTensors = 0 } }, index, 0, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.PushKvCacheAsync(src, index, 8, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.PushKvBlocksAsync(src, index with { BatchIndex = 1 }, [0], [0], new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.PushKvBlocksAsync(src, index, [0], [], new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.PushKvBlocksAsync(src, index, [8], [0], new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.PushKvBlocksAsync(src, index, [0], [8], new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), []);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE, LlmStatus.KvCacheNotExist)]
    [InlineData(ConformanceProfile.HX, LlmStatus.ParamInvalid)]
    public void A_push_to_a_remote_row_out_of_range_fails_per_engine(ConformanceProfile profile, LlmStatus expected) => Scenario(profile, async h =>
    {
        var (pair, src, dst, _, before) = await FilledAsync(h);
        Assert.Equal(expected, await pair.Prompt.PushKvCacheAsync(src, new CacheIndex(DecoderId, dst.CacheId, 8), 0, -1, new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), []);
    });

    [SkippableFact]
    public void HX_a_cache_registered_after_the_first_transfer_is_invisible_until_relink() => Scenario(ConformanceProfile.HX, async h =>
    {
        var (pair, src, dst, _, _) = await FilledAsync(h);
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, 0, -1, new KvCacheExtParam()));
        var late = await CacheAsync(h, pair.Prompt, PromptServer);
        Assert.Equal(LlmStatus.KvCacheNotExist, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, late.CacheId, 0), dst, 0, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.Success, (await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, false)).Status);
        Assert.Equal(LlmStatus.Success, (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Status);
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, late.CacheId, 0), dst, 0, -1, new KvCacheExtParam()));
    });

    [SkippableFact]
    public void HX_each_side_reads_the_peers_table_at_its_own_first_transfer() => Scenario(ConformanceProfile.HX, async h =>
    {
        // §9.17: the snapshot belongs to one side's record. The decoder's first pull reads the prompt's table; the
        // prompt has not transferred yet, so a decoder cache registered now is in the table its first push reads.
        var (pair, src, dst, _, _) = await FilledAsync(h);
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, 0, -1, new KvCacheExtParam()));
        var lateDst = await CacheAsync(h, pair.Decoder, DecoderServer);
        Assert.Equal(LlmStatus.Success, await pair.Prompt.PushKvCacheAsync(src, new CacheIndex(DecoderId, lateDst.CacheId, 1), 1, -1, new KvCacheExtParam()));
        // From now on the prompt's snapshot is fixed too: a decoder cache registered later is invisible to its pushes.
        var later = await CacheAsync(h, pair.Decoder, DecoderServer);
        Fill(h, later, 3);
        var before = Snapshot(h, later);
        Assert.Equal(LlmStatus.KvCacheNotExist, await pair.Prompt.PushKvCacheAsync(src, new CacheIndex(DecoderId, later.CacheId, 0), 0, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.KvCacheNotExist, await pair.Prompt.PushKvBlocksAsync(src, new CacheIndex(DecoderId, later.CacheId, 0), [0], [0], new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, later), []);
    });

    [SkippableFact]
    public void CE_a_cache_allocated_after_linking_can_be_pulled_at_once() => Scenario(ConformanceProfile.CE, async h =>
    {
        var (pair, src, dst, _, _) = await FilledAsync(h);
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, 0, -1, new KvCacheExtParam()));
        var late = await CacheAsync(h, pair.Prompt, PromptServer);
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, late.CacheId, 0), dst, 0, -1, new KvCacheExtParam()));
    });
}
