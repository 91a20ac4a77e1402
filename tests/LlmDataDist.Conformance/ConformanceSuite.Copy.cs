namespace LlmDataDist.Conformance;

// §9.13–9.14: CE's local copies, by addresses and descriptions.
public abstract partial class ConformanceSuite
{
    private static CacheDesc Small => new() { NumTensors = 1, DataType = DataType.Int32, Shape = [4, 16] }; // 256 bytes, rows of 64

    [SkippableFact]
    public void CE_CopyKvCache_copies_one_row_of_every_tensor_and_nothing_else() => Scenario(ConformanceProfile.CE, async h =>
    {
        var b = await InitializedAsync(h);
        var cache = (await b.AllocateCacheAsync(Small)).Cache;
        Fill(h, cache, 1);
        var before = Snapshot(h, cache);
        // The reference's example: row 0 → row 1 writes elements 16..31 with elements 0..15, then row 2 → row 3.
        Assert.Equal(LlmStatus.Success, await b.CopyKvCacheAsync(cache, cache, 0, 1, 0, -1));
        Assert.Equal(LlmStatus.Success, await b.CopyKvCacheAsync(cache, cache, 2, 3, 0, -1));
        AssertOnlyChanged(before, Snapshot(h, cache), [(0, 64, Slice(before[0], 0, 64)), (0, 192, Slice(before[0], 128, 64))]);
    });

    [SkippableFact]
    public void CE_CopyKvBlocks_gives_the_same_result_as_the_row_copies() => Scenario(ConformanceProfile.CE, async h =>
    {
        var b = await InitializedAsync(h);
        var cache = (await b.AllocateCacheAsync(Small)).Cache;
        Fill(h, cache, 1);
        var before = Snapshot(h, cache);
        Assert.Equal(LlmStatus.Success, await b.CopyKvBlocksAsync(cache, cache, [0, 2], [[1, 3]]));
        AssertOnlyChanged(before, Snapshot(h, cache), [(0, 64, Slice(before[0], 0, 64)), (0, 192, Slice(before[0], 128, 64))]);
    });

    [SkippableFact]
    public void CE_CopyKvCache_with_offset_and_size_copies_that_slice_of_the_row() => Scenario(ConformanceProfile.CE, async h =>
    {
        var b = await InitializedAsync(h);
        var src = (await b.AllocateCacheAsync(Small)).Cache;
        var dst = (await b.AllocateCacheAsync(Small)).Cache;
        Fill(h, src, 1);
        Fill(h, dst, 2);
        var before = Snapshot(h, dst);
        Assert.Equal(LlmStatus.Success, await b.CopyKvCacheAsync(src, dst, 1, 2, 16, 8));
        AssertOnlyChanged(before, Snapshot(h, dst), [(0, (2 * 64) + 16, Slice(Snapshot(h, src)[0], 64 + 16, 8))]);
    });

    [SkippableTheory]
    [InlineData(8, 0, 0, -1L)]   // source row out of range
    [InlineData(0, 4, 0, -1L)]   // destination row out of range
    [InlineData(0, 1, 64, -1L)]  // offset at the stride
    [InlineData(0, 1, 0, 65L)]   // more than a row
    [InlineData(0, 1, 32, 33L)]  // more than the rest of the row
    [InlineData(0, 1, 0, 0L)]    // size 0
    public void CE_CopyKvCache_rejects_rows_offsets_and_sizes_outside_the_rows(uint srcRow, uint dstRow, ulong offset, long size) => Scenario(ConformanceProfile.CE, async h =>
    {
        var b = await InitializedAsync(h);
        var src = (await b.AllocateCacheAsync(SampleDesc with { NumTensors = 1 })).Cache; // 8 rows
        var dst = (await b.AllocateCacheAsync(Small)).Cache;                              // 4 rows
        Fill(h, dst, 3);
        var before = Snapshot(h, dst);
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvCacheAsync(src, dst, srcRow, dstRow, offset, size));
        AssertOnlyChanged(before, Snapshot(h, dst), []);
    });

    [SkippableFact]
    public void CE_copies_from_host_are_rejected_for_whole_caches_and_between_two_hosts_for_blocks() => Scenario(ConformanceProfile.CE, async h =>
    {
        var b = await InitializedAsync(h);
        var host = new Cache(-1, [h.AllocateHostMemory(0, 256)], Small with { Placement = CachePlacement.Host });
        var host2 = new Cache(-1, [h.AllocateHostMemory(0, 256)], Small with { Placement = CachePlacement.Host });
        var device = (await b.AllocateCacheAsync(Small)).Cache;
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvCacheAsync(host, device, 0, 0, 0, -1));
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvBlocksAsync(host, host2, [0], [[1]]));
        Assert.Equal(LlmStatus.Success, await b.CopyKvCacheAsync(device, host, 0, 1, 0, -1));
        Assert.Equal(LlmStatus.Success, await b.CopyKvBlocksAsync(host, device, [1], [[2]]));
    });

    [SkippableFact]
    public void CE_device_CopyKvBlocks_copies_earlier_lists_before_a_later_list_fails() => Scenario(ConformanceProfile.CE, async h =>
    {
        var b = await InitializedAsync(h);
        var cache = (await b.AllocateCacheAsync(Small)).Cache;
        Fill(h, cache, 1);
        var before = Snapshot(h, cache);
        // List 0 is fine; list 1 names block 9 of 4: the engine fails after copying list 0 (a partial effect).
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvBlocksAsync(cache, cache, [0], [[1], [9]]));
        AssertOnlyChanged(before, Snapshot(h, cache), [(0, 64, Slice(before[0], 0, 64))]);
    });

    [SkippableFact]
    public void CE_host_to_device_CopyKvBlocks_checks_everything_before_copying() => Scenario(ConformanceProfile.CE, async h =>
    {
        var b = await InitializedAsync(h);
        var host = new Cache(-1, [h.AllocateHostMemory(0, 256)], Small with { Placement = CachePlacement.Host });
        var device = (await b.AllocateCacheAsync(Small)).Cache;
        Fill(h, device, 2);
        var before = Snapshot(h, device);
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvBlocksAsync(host, device, [0], [[1], [9]]));
        AssertOnlyChanged(before, Snapshot(h, device), []);
    });

    [SkippableFact]
    public void CE_CopyKvBlocks_needs_equal_block_sizes_and_enough_addresses() => Scenario(ConformanceProfile.CE, async h =>
    {
        var b = await InitializedAsync(h);
        var cache = (await b.AllocateCacheAsync(Small)).Cache;
        var wide = (await b.AllocateCacheAsync(new CacheDesc { NumTensors = 1, DataType = DataType.Int32, Shape = [2, 32] })).Cache;
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvBlocksAsync(cache, wide, [0], [[1]]));
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvBlocksAsync(cache with { TensorAddrs = [] }, cache, [0], [[1]]));
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvBlocksAsync(cache, cache, [], [[1]]));
        Assert.Equal(LlmStatus.ParamInvalid, await b.CopyKvBlocksAsync(cache, cache, [0], []));
    });
}
