namespace LlmDataDist.Conformance;

// §3, §4.2 and §8 rule by rule: the size table of each path, shape rank, sub-byte strides, HX's cache-table and
// pull-request limits, and the push checks that precede the source lookup (§9.15 steps 2–5).
public abstract partial class ConformanceSuite
{
    /// <summary>A shape of the given rank whose first two dims are [8, 16] (512 bytes of int32), padded with ones.</summary>
    private static long[] RankShape(int rank) => [8, 16, .. Enumerable.Repeat(1L, rank - 2)];

    /// <summary>Allocates (CE) or registers (HX, over enough device memory) a cache; returns the status and the id.</summary>
    private static async Task<(LlmStatus Status, long Id)> MakeCacheAsync(IConformanceHarness h, ILlmDataDistBackend b, CacheDesc desc, long bytesPerTensor = 512)
    {
        if (h.Profile == ConformanceProfile.CE)
        {
            var allocated = await b.AllocateCacheAsync(desc);
            return (allocated.Status, allocated.Cache.CacheId);
        }

        var addresses = Enumerable.Range(0, (int)desc.NumTensors).Select(_ => h.AllocateDeviceMemory(0, 0, bytesPerTensor)).ToArray();
        var registered = await b.RegisterKvCacheAsync(desc, addresses, new RegisterCfg());
        return (registered.Status, registered.CacheId);
    }

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE, 3L)] // CE consumes the id before the rank check (§9.8 steps 4–5)
    [InlineData(ConformanceProfile.HX, 2L)] // HX checks the rank before consuming it (§9.17 steps 5–6)
    public void Shape_rank_must_be_1_to_31_to_allocate_or_register(ConformanceProfile profile, long idAfterRejection) => Scenario(profile, async h =>
    {
        var b = await InitializedAsync(h);
        Assert.Equal((LlmStatus.Success, 1L), await MakeCacheAsync(h, b, SampleDesc with { Shape = RankShape(31) }));
        Assert.Equal(LlmStatus.ParamInvalid, (await MakeCacheAsync(h, b, SampleDesc with { Shape = RankShape(32) })).Status);
        Assert.Equal((LlmStatus.Success, idAfterRejection), await MakeCacheAsync(h, b, SampleDesc with { Shape = RankShape(2) }));
    });

    [SkippableFact]
    public void CE_copies_do_not_check_the_rank() => Scenario(ConformanceProfile.CE, async h =>
    {
        // §4.2: only AllocateCache and RegisterKvCache limit the rank; a copy describes the same memory at rank 40.
        var b = await InitializedAsync(h);
        var cache = (await b.AllocateCacheAsync(SampleDesc with { NumTensors = 1 })).Cache;
        Fill(h, cache, 1);
        var before = Snapshot(h, cache);
        var deep = cache with { CacheDesc = cache.CacheDesc with { Shape = RankShape(40) } };
        Assert.Equal(LlmStatus.Success, await b.CopyKvCacheAsync(deep, deep, 0, 5, 0, -1));
        Assert.Equal(LlmStatus.Success, await b.CopyKvBlocksAsync(deep, deep, [1], [[6]]));
        AssertOnlyChanged(before, Snapshot(h, cache), [(0, 5 * 64, Slice(before[0], 0, 64)), (0, 6 * 64, Slice(before[0], 64, 64))]);
    });

    [SkippableFact]
    public void CE_allocation_uses_the_devices_narrower_type_table() => Scenario(ConformanceProfile.CE, async h =>
    {
        var b = await InitializedAsync(h);
        foreach (var type in new[] { DataType.Bf16, DataType.Dual, DataType.Int4, DataType.Uint1, DataType.Qint16, DataType.Bool })
        {
            Assert.Equal(LlmStatus.Success, (await b.AllocateCacheAsync(SampleDesc with { DataType = type })).Status);
        }

        foreach (var type in new[] { DataType.String, DataType.Complex64, DataType.Resource, DataType.Hifloat8, DataType.Float8E5m2, DataType.Float4E2m1, DataType.Undefined, (DataType)5, (DataType)99, (DataType)(-1) })
        {
            Assert.Equal(LlmStatus.ParamInvalid, (await b.AllocateCacheAsync(SampleDesc with { DataType = type })).Status);
        }
    });

    [SkippableFact]
    public void HX_registration_sizes_every_host_type_and_strings_as_16_bytes() => Scenario(ConformanceProfile.HX, async h =>
    {
        var b = await InitializedAsync(h);
        var one = SampleDesc with { NumTensors = 1 }; // 128 elements
        foreach (var (type, bytes) in new[] { (DataType.Complex64, 1024L), (DataType.Float8E5m2, 128L), (DataType.Float4E2m1, 64L), (DataType.Dual, 640L), (DataType.String, 2048L), (DataType.StringRef, 2048L), (DataType.Float6E3m2, 96L) })
        {
            // Exactly the tensor's size resolves; a byte less does not (registration needs the whole tensor).
            Assert.Equal(LlmStatus.ParamInvalid, (await MakeCacheAsync(h, b, one with { DataType = type }, bytes - 1)).Status);
            Assert.Equal(LlmStatus.Success, (await MakeCacheAsync(h, b, one with { DataType = type }, bytes)).Status);
        }

        foreach (var type in new[] { DataType.Undefined, (DataType)5, (DataType)99 })
        {
            Assert.Equal(LlmStatus.ParamInvalid, (await MakeCacheAsync(h, b, one with { DataType = type }, 4096)).Status);
        }
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Sub_byte_rows_follow_the_integer_stride(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        // §4.4 example 4: int4 [4, 3] is 48 bits = 6 bytes, stride 6 / 4 = 1; row 3 is byte 3.
        var int4 = new CacheDesc { NumTensors = 2, DataType = DataType.Int4, Shape = [4, 3] };
        var (pair, src, dst, source, before) = await ShapedAsync(h, int4, int4);
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 3), dst, 0, -1, new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), [(0, 0, Slice(source[0], 3, 1)), (1, 0, Slice(source[1], 3, 1))]);
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvBlocksAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, [0, 1], [4 - 1, 2], new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst),
            [(0, 0, Slice(source[0], 3, 1)), (1, 0, Slice(source[1], 3, 1)), (0, 3, Slice(source[0], 0, 1)), (1, 3, Slice(source[1], 0, 1)), (0, 2, Slice(source[0], 1, 1)), (1, 2, Slice(source[1], 1, 1))]);
    });

    [SkippableFact]
    public void HX_the_cache_table_may_not_exceed_1_MiB() => Scenario(ConformanceProfile.HX, async h =>
    {
        // 24 + (64 + 8 × 131 061) = 1 048 576 bytes: one cache of 131 061 tensors fills the table exactly (§8).
        var b = await InitializedAsync(h);
        var memory = h.AllocateDeviceMemory(0, 0, 4);
        var tiny = new CacheDesc { NumTensors = 131_061, DataType = DataType.Int32, Shape = [1] };
        Assert.Equal((LlmStatus.Success, 1L), ((await b.RegisterKvCacheAsync(tiny, Enumerable.Repeat(memory, 131_061).ToArray(), new RegisterCfg())) is var r ? (r.Status, r.CacheId) : default));
        var one = tiny with { NumTensors = 1 };
        Assert.Equal(LlmStatus.ParamInvalid, (await b.RegisterKvCacheAsync(one, [memory], new RegisterCfg())).Status); // id 2 consumed
        Assert.Equal(LlmStatus.Success, await b.UnregisterKvCacheAsync(1));
        Assert.Equal((LlmStatus.Success, 3L), ((await b.RegisterKvCacheAsync(one, [memory], new RegisterCfg())) is var s ? (s.Status, s.CacheId) : default));
    });

    [SkippableFact]
    public void HX_a_pull_request_holds_at_most_131064_tensor_and_run_entries() => Scenario(ConformanceProfile.HX, async h =>
    {
        // 1 destination tensor + 2 × runs ≤ 131 064 (§8): 65 531 separate runs fit, 65 532 do not; one long run always fits.
        // A wait long enough for 65 531 separate copies, so only the request size can fail.
        var rows = new CacheDesc { NumTensors = 1, DataType = DataType.Int8, Shape = [131_072, 1] };
        var pair = await LinkedPairAsync(h, (LlmOptionKeys.SyncKvCacheWaitTime, "600000"));
        var src = await CacheAsync(h, pair.Prompt, PromptServer, rows);
        var dst = await CacheAsync(h, pair.Decoder, DecoderServer, rows);
        Fill(h, src, 1);
        Fill(h, dst, 2);
        var (source, before) = (Snapshot(h, src), Snapshot(h, dst));
        var index = new CacheIndex(PromptId, src.CacheId, 0);
        ulong[] Spaced(int count) => [.. Enumerable.Range(0, count).Select(i => (ulong)i * 2)];
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvBlocksAsync(index, dst, Spaced(65_532), Spaced(65_532), new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), []);
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvBlocksAsync(index, dst, Spaced(65_531), Spaced(65_531), new KvCacheExtParam()));
        ulong[] all = [.. Enumerable.Range(0, 131_072).Select(i => (ulong)i)];
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvBlocksAsync(index, dst, all, all, new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), [(0, 0, source[0])]);
    });

    [SkippableFact]
    public void HX_a_cache_unregistered_after_the_first_transfer_cannot_be_pulled() => Scenario(ConformanceProfile.HX, async h =>
    {
        // The peer's table snapshot still lists it (§9.17); UB→sim: KV_CACHE_NOT_EXIST, nothing written.
        var (pair, src, dst, _, before) = await FilledAsync(h);
        var index = new CacheIndex(PromptId, src.CacheId, 0);
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvCacheAsync(index, dst, 0, -1, new KvCacheExtParam()));
        var afterFirst = Snapshot(h, dst);
        Assert.Equal(LlmStatus.Success, await pair.Prompt.UnregisterKvCacheAsync(src.CacheId));
        Assert.Equal(LlmStatus.KvCacheNotExist, await pair.Decoder.PullKvCacheAsync(index with { BatchIndex = 1 }, dst, 1, -1, new KvCacheExtParam()));
        AssertOnlyChanged(afterFirst, Snapshot(h, dst), []);
        GC.KeepAlive(before);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Push_checks_placement_size_blocks_ranges_and_num_tensors_before_the_source_lookup(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, _, before) = await FilledAsync(h, link: false);
        var p = pair.Prompt;
        var missing = src with { CacheId = 99 };
        var index = new CacheIndex(DecoderId, dst.CacheId, 0);
        Assert.Equal(LlmStatus.ParamInvalid, await p.PushKvCacheAsync(missing with { CacheDesc = src.CacheDesc with { Placement = CachePlacement.Host } }, index, 0, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await p.PushKvCacheAsync(missing, index, 0, 64, new KvCacheExtParam()));                 // size must be -1
        Assert.Equal(LlmStatus.ParamInvalid, await p.PushKvCacheAsync(missing, index, 0, -1, Layers(0, 1, 0, 0)));                    // unequal range lengths
        Assert.Equal(LlmStatus.ParamInvalid, await p.PushKvCacheAsync(missing with { CacheDesc = src.CacheDesc with { NumTensors = 0 } }, index, 0, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await p.PushKvBlocksAsync(missing, index, [], [], new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await p.PushKvBlocksAsync(missing, index, [0], [], new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await p.PushKvBlocksAsync(missing, index with { BatchIndex = 1 }, [0], [0], new KvCacheExtParam()));
        Assert.Equal(LlmStatus.ParamInvalid, await p.PushKvBlocksAsync(missing, index, [0], [0], Layers(0, 0, 0, 0, 0)));
        // Only then the source, and the link after it.
        Assert.Equal(LlmStatus.KvCacheNotExist, await p.PushKvBlocksAsync(missing, index, [0], [0], new KvCacheExtParam()));
        Assert.Equal(LlmStatus.NotYetLink, await p.PushKvBlocksAsync(src, index, [0], [0], new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), []);
    });
}
