namespace LlmDataDist.Conformance;

// §9.13–9.14 rules not covered by the Copy file: tensor counts, address counts, empty caches, unequal strides,
// unresolvable addresses, and the H2D staging memory of CopyKvBlocks.
public abstract partial class ConformanceSuite
{
    [SkippableFact]
    public void CE_CopyKvCache_writes_only_the_sources_tensor_count_and_rejects_a_destination_with_fewer() => Scenario(ConformanceProfile.CE, async h =>
    {
        var b = await InitializedAsync(h);
        var two = (await b.AllocateCacheAsync(Small with { NumTensors = 2 })).Cache;
        var three = (await b.AllocateCacheAsync(Small with { NumTensors = 3 })).Cache;
        Fill(h, two, 1);
        Fill(h, three, 2);
        var source = Snapshot(h, two);
        var before = Snapshot(h, three);
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvCacheAsync(three, two, 0, 0, 0, -1)); // UB→sim
        AssertOnlyChanged(source, Snapshot(h, two), []);
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvBlocksAsync(three, two, [0], [[1]]));
        AssertOnlyChanged(source, Snapshot(h, two), []);
        Assert.Equal(LlmStatus.Success, await b.CopyKvCacheAsync(two, three, 1, 2, 0, -1));
        AssertOnlyChanged(before, Snapshot(h, three), [(0, 128, Slice(source[0], 64, 64)), (1, 128, Slice(source[1], 64, 64))]);
    });

    [SkippableFact]
    public void CE_copies_need_one_address_per_tensor_and_a_sizable_description() => Scenario(ConformanceProfile.CE, async h =>
    {
        var b = await InitializedAsync(h);
        var cache = (await b.AllocateCacheAsync(Small with { NumTensors = 2 })).Cache;
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvCacheAsync(cache with { TensorAddrs = [cache.TensorAddrs[0]] }, cache, 0, 1, 0, -1));
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvCacheAsync(cache, cache with { TensorAddrs = [.. cache.TensorAddrs, cache.TensorAddrs[0]] }, 0, 1, 0, -1));
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvCacheAsync(cache with { CacheDesc = cache.CacheDesc with { DataType = DataType.Undefined } }, cache, 0, 1, 0, -1));
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvCacheAsync(cache with { CacheDesc = cache.CacheDesc with { Shape = [4, 0] } }, cache, 0, 1, 0, -1));
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvCacheAsync(cache with { TensorAddrs = [0x10, 0x20] }, cache, 0, 1, 0, -1)); // resolves to nothing
        // No tensors and no addresses: every check passes and nothing is copied.
        var empty = new Cache(-1, [], Small with { NumTensors = 0 });
        Assert.Equal(LlmStatus.Success, await b.CopyKvCacheAsync(empty, empty, 0, 0, 0, -1));
        Assert.Equal(LlmStatus.Success, await b.CopyKvBlocksAsync(empty, empty, [0], [[1]]));
    });

    [SkippableFact]
    public void CE_CopyKvCache_between_caches_of_different_strides_and_of_a_scalar_shape() => Scenario(ConformanceProfile.CE, async h =>
    {
        var b = await InitializedAsync(h);
        var tall = (await b.AllocateCacheAsync(new CacheDesc { NumTensors = 1, DataType = DataType.Int32, Shape = [8, 16] })).Cache; // rows of 64
        var wide = (await b.AllocateCacheAsync(new CacheDesc { NumTensors = 1, DataType = DataType.Int32, Shape = [4, 32] })).Cache; // rows of 128
        Fill(h, tall, 1);
        Fill(h, wide, 2);
        var source = Snapshot(h, tall);
        var before = Snapshot(h, wide);
        Assert.Equal(LlmStatus.Success, await b.CopyKvCacheAsync(tall, wide, 7, 3, 0, -1));
        AssertOnlyChanged(before, Snapshot(h, wide), [(0, 3 * 128, Slice(source[0], 7 * 64, 64))]);
        // An empty shape is a scalar tensor with one row (4 bytes of int32).
        var scalar = new Cache(-1, [h.AllocateDeviceMemory(0, 0, 4)], new CacheDesc { NumTensors = 1, DataType = DataType.Int32, Shape = [] });
        h.Write(scalar.TensorAddrs[0], [9, 9, 9, 9]);
        Assert.Equal(LlmStatus.Success, await b.CopyKvCacheAsync(scalar, tall, 0, 0, 0, -1));
        Assert.Equal(new byte[] { 9, 9, 9, 9 }, h.Read(tall.TensorAddrs[0], 4));
    });

    [SkippableFact]
    public void CE_host_to_device_CopyKvBlocks_needs_device_staging_memory_and_device_to_host_does_not() => Scenario(ConformanceProfile.CE, async h =>
    {
        // Pool of 2560 bytes; each Small tensor takes 512; staging takes 4 blocks of 64 bytes, each rounded to 512.
        var b = await InitializedAsync(h, (LlmOptionKeys.BufPoolCfg, "{\"buf_pool_size\": 2560}"));
        var host = new Cache(-1, [h.AllocateHostMemory(0, 256)], Small with { Placement = CachePlacement.Host });
        h.Write(host.TensorAddrs[0], Pattern(256, 7, 0));
        var device = (await b.AllocateCacheAsync(Small)).Cache;
        Assert.Equal(LlmStatus.Success, await b.CopyKvBlocksAsync(host, device, [0], [[1]]));       // 512 used, 2048 free
        var filler = (await b.AllocateCacheAsync(Small)).Cache;                                      // 1024 used, 1536 free
        Fill(h, device, 3);
        var before = Snapshot(h, device);
        Assert.Equal(LlmStatus.DeviceOutOfMemory, await b.CopyKvBlocksAsync(host, device, [2], [[3]]));
        AssertOnlyChanged(before, Snapshot(h, device), []);
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvBlocksAsync(host, device, [2], [[3], [9]])); // argument checks come first
        Assert.Equal(LlmStatus.Success, await b.CopyKvBlocksAsync(device, host, [1], [[2]]));         // D2H needs no staging
        Assert.Equal(LlmStatus.Success, await b.DeallocateCacheAsync(filler.CacheId));
        Assert.Equal(LlmStatus.Success, await b.CopyKvBlocksAsync(host, device, [2], [[3]]));
    });
    [SkippableFact]
    public void CE_copies_bound_the_default_size_by_both_rows_and_blocks_need_only_equal_block_sizes() => Scenario(ConformanceProfile.CE, async h =>
    {
        var b = await InitializedAsync(h);
        var wide = (await b.AllocateCacheAsync(new CacheDesc { NumTensors = 1, DataType = DataType.Int32, Shape = [4, 32] })).Cache;   // rows of 128
        var tall = (await b.AllocateCacheAsync(new CacheDesc { NumTensors = 1, DataType = DataType.Int32, Shape = [8, 16] })).Cache;   // rows of 64
        var short4 = (await b.AllocateCacheAsync(new CacheDesc { NumTensors = 1, DataType = DataType.Float16, Shape = [4, 2, 16] })).Cache; // blocks of 64, 4 rows
        Fill(h, wide, 1);
        Fill(h, tall, 2);
        Fill(h, short4, 3);
        var (fromTall, beforeTall, beforeShort) = (Snapshot(h, tall), Snapshot(h, tall), Snapshot(h, short4));
        // Size -1 is stride_S - offset = 128 bytes: more than a 64-byte destination row (§9.13 step 7).
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvCacheAsync(wide, tall, 0, 0, 0, -1));
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvCacheAsync(wide, tall, 0, 0, 64, -1)); // offset reaches the 64-byte row
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvCacheAsync(wide, tall, 0, 0, 32, 64)); // 64 > 64 - 32
        AssertOnlyChanged(beforeTall, Snapshot(h, tall), []);
        // Blocks: shapes, types and row counts may differ when the block sizes agree (§9.14 step 4).
        Assert.Equal(LlmStatus.Success, await b.CopyKvBlocksAsync(tall, short4, [7, 5], [[0, 3]]));
        AssertOnlyChanged(beforeShort, Snapshot(h, short4), [(0, 0, Slice(fromTall[0], 7 * 64, 64)), (0, 3 * 64, Slice(fromTall[0], 5 * 64, 64))]);
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvBlocksAsync(tall, short4, [7], [[4]])); // a block beyond D's 4 rows
    });
    [SkippableFact]
    public void CE_device_CopyKvBlocks_fails_inside_a_list_after_that_lists_earlier_copies_tensor_by_tensor() => Scenario(ConformanceProfile.CE, async h =>
    {
        // §9.14 step 5: lists in order; in a list, tensor by tensor, pair by pair; the first bad block stops the call.
        var b = await InitializedAsync(h);
        var cache = (await b.AllocateCacheAsync(Small with { NumTensors = 2 })).Cache;
        Fill(h, cache, 1);
        var before = Snapshot(h, cache);
        byte[] Of(int tensor, int block) => Slice(before[tensor], block * 64, 64);
        // List 0 copies 0→1 and 2→3 in both tensors; list 1 copies 0→3 in tensor 0, then meets block 9.
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvBlocksAsync(cache, cache, [0, 2], [[1, 3], [3, 9]]));
        AssertOnlyChanged(before, Snapshot(h, cache), [Write(0, 1, Of(0, 0)), Write(0, 3, Of(0, 2)), Write(1, 1, Of(1, 0)), Write(1, 3, Of(1, 2)), Write(0, 3, Of(0, 0))]);
        // A later list of the wrong length fails after the earlier lists were copied; a bad source block likewise.
        Fill(h, cache, 1);
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvBlocksAsync(cache, cache, [0, 2], [[1, 3], [2]]));
        AssertOnlyChanged(before, Snapshot(h, cache), [Write(0, 1, Of(0, 0)), Write(0, 3, Of(0, 2)), Write(1, 1, Of(1, 0)), Write(1, 3, Of(1, 2))]);
        Fill(h, cache, 1);
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvBlocksAsync(cache, cache, [0, 9], [[1, 3]]));
        AssertOnlyChanged(before, Snapshot(h, cache), [Write(0, 1, Of(0, 0))]);
    });

    /// <summary>One expected write of a 64-byte block.</summary>
    private static (int Tensor, long Offset, byte[] Expected) Write(int tensor, int block, byte[] bytes) => (tensor, block * 64L, bytes);
    [SkippableFact]
    public void CE_the_addresses_of_a_deallocated_cache_cannot_be_copied() => Scenario(ConformanceProfile.CE, async h =>
    {
        // §9.9: deallocation invalidates the addresses; §4.5 UB→sim: an address that resolves to nothing is PARAM_INVALID.
        var b = await InitializedAsync(h);
        var live = (await b.AllocateCacheAsync(Small)).Cache;
        var freed = (await b.AllocateCacheAsync(Small)).Cache;
        Fill(h, live, 1);
        var before = Snapshot(h, live);
        Assert.Equal(LlmStatus.Success, await b.DeallocateCacheAsync(freed.CacheId));
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvCacheAsync(freed, live, 0, 1, 0, -1));
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvBlocksAsync(live, freed, [0], [[1]]));
        AssertOnlyChanged(before, Snapshot(h, live), []);
    });
}
