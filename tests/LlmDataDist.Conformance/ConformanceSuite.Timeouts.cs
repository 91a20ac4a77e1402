namespace LlmDataDist.Conformance;

// §6.2 Faulted, §6.5, §8 "Transfer timeout", §12.8/12.10: a transfer whose modelled duration exceeds
// llm.SyncKvCacheWaitTime times out (CE WAIT_PROC_TIMEOUT, HX TIMEOUT), writes nothing, and leaves the link
// faulted until it is force-unlinked and linked again.
public abstract partial class ConformanceSuite
{
    /// <summary>Two int8 tensors of one 16 MiB row: one row of the cache is 32 MiB, far more than 1 ms of any link.</summary>
    private static CacheDesc BigDesc => new() { NumTensors = 2, DataType = DataType.Int8, Shape = [1, 16 << 20] };

    /// <summary>A pair linked with a 1 ms wait, a big cache pair that cannot move in it, and a sample cache pair that can.</summary>
    private static async Task<(Pair Pair, LlmStatus Timeout, Cache BigSrc, Cache BigDst, Cache Src, Cache Dst, byte[][] BigBefore, byte[][] Before)> TimeoutSetupAsync(IConformanceHarness h)
    {
        var pair = await LinkedPairAsync(h, (LlmOptionKeys.SyncKvCacheWaitTime, "1"));
        var bigSrc = await CacheAsync(h, pair.Prompt, PromptServer, BigDesc);
        var bigDst = await CacheAsync(h, pair.Decoder, DecoderServer, BigDesc);
        var (src, dst) = (await CacheAsync(h, pair.Prompt, PromptServer), await CacheAsync(h, pair.Decoder, DecoderServer));
        FillRandom(h, bigSrc, 1);
        FillRandom(h, bigDst, 2);
        Fill(h, src, 1);
        Fill(h, dst, 2);
        return (pair, TimeoutOf(h), bigSrc, bigDst, src, dst, Snapshot(h, bigDst), Snapshot(h, dst));
    }

    private static void FillRandom(IConformanceHarness h, Cache cache, int seed)
    {
        var random = new Random(seed);
        var bytes = new byte[TensorBytes(cache.CacheDesc)];
        foreach (var address in cache.TensorAddrs)
        {
            random.NextBytes(bytes);
            h.Write(address, bytes);
        }
    }


    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void A_pull_longer_than_the_sync_wait_times_out_writes_nothing_and_faults_the_link_until_relinked(ConformanceProfile profile) => Scenario(profile, ConformanceCapabilities.ModelledTiming, async h =>
    {
        var (pair, timeout, bigSrc, bigDst, src, dst, bigBefore, before) = await TimeoutSetupAsync(h);

        var start = h.TimeProvider.GetUtcNow();
        Assert.Equal(timeout, await PullRow0Async(pair.Decoder, bigSrc, bigDst));
        var waited = h.TimeProvider.GetUtcNow() - start;
        Assert.InRange(waited, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(2)); // the call ends when its wait does
        AssertOnlyChanged(bigBefore, Snapshot(h, bigDst), []);

        // Faulted: even a small pull gets the same status and writes nothing; linking again is ALREADY_LINK.
        Assert.Equal(timeout, await PullRow0Async(pair.Decoder, src, dst));
        Assert.Equal(timeout, await pair.Decoder.PullKvBlocksAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, [1], [1], new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), []);
        Assert.Equal(LlmStatus.AlreadyLink, (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Rets.Single());

        // Recovery (§6.5): force-unlink, link again; small transfers work, the big one still does not fit the wait.
        Assert.Equal(LlmStatus.Success, (await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, true)).Status);
        Assert.Equal([LlmStatus.Success], (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Rets);
        var source = Snapshot(h, src);
        Assert.Equal(LlmStatus.Success, await PullRow0Async(pair.Decoder, src, dst));
        AssertOnlyChanged(before, Snapshot(h, dst), Enumerable.Range(0, 4).Select(t => (t, 0L, Slice(source[t], 0, 64))));
        Assert.Equal(timeout, await PullRow0Async(pair.Decoder, bigSrc, bigDst));
        AssertOnlyChanged(bigBefore, Snapshot(h, bigDst), []);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void A_push_longer_than_the_sync_wait_times_out_and_both_sides_recover_by_force_unlink_and_relink(ConformanceProfile profile) => Scenario(profile, ConformanceCapabilities.ModelledTiming, async h =>
    {
        var (pair, timeout, bigSrc, bigDst, src, dst, bigBefore, before) = await TimeoutSetupAsync(h);
        Assert.Equal(timeout, await pair.Prompt.PushKvCacheAsync(bigSrc, new CacheIndex(DecoderId, bigDst.CacheId, 0), 0, -1, new KvCacheExtParam()));
        AssertOnlyChanged(bigBefore, Snapshot(h, bigDst), []);
        Assert.Equal(timeout, await PushRow0Async(pair.Prompt, src, dst));
        Assert.Equal(timeout, await pair.Prompt.PushKvBlocksAsync(src, new CacheIndex(DecoderId, dst.CacheId, 0), [1], [1], new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), []);

        // Both sides force-unlink (a CE prompt's unlink is always the server-side teardown), then the client links again.
        Assert.Equal(LlmStatus.Success, (await pair.Prompt.UnlinkLlmClustersAsync([ToDecoder()], 1000, true)).Status);
        Assert.Equal(LlmStatus.Success, (await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, true)).Status);
        Assert.Equal([LlmStatus.Success], (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Rets);
        var source = Snapshot(h, src);
        Assert.Equal(LlmStatus.Success, await PushRow0Async(pair.Prompt, src, dst));
        AssertOnlyChanged(before, Snapshot(h, dst), Enumerable.Range(0, 4).Select(t => (t, 0L, Slice(source[t], 0, 64))));
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void A_transfer_within_the_default_wait_moves_a_large_cache(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var pair = await LinkedPairAsync(h);
        var bigSrc = await CacheAsync(h, pair.Prompt, PromptServer, BigDesc);
        var bigDst = await CacheAsync(h, pair.Decoder, DecoderServer, BigDesc);
        FillRandom(h, bigSrc, 1);
        FillRandom(h, bigDst, 2);
        Assert.Equal(LlmStatus.Success, await PullRow0Async(pair.Decoder, bigSrc, bigDst));
        AssertOnlyChanged(Snapshot(h, bigSrc), Snapshot(h, bigDst), []);
    });
    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void A_zero_sync_wait_is_accepted_and_times_every_transfer_out_writing_nothing(ConformanceProfile profile) => Scenario(profile, ConformanceCapabilities.ModelledTiming, async h =>
    {
        // §13.4 unconfirmed; the simulator's documented choice: "0" parses, and no transfer fits a zero budget.
        var pair = await LinkedPairAsync(h, (LlmOptionKeys.SyncKvCacheWaitTime, "0"));
        var src = await CacheAsync(h, pair.Prompt, PromptServer);
        var dst = await CacheAsync(h, pair.Decoder, DecoderServer);
        Fill(h, src, 1);
        Fill(h, dst, 2);
        var before = Snapshot(h, dst);
        var timeout = profile == ConformanceProfile.CE ? LlmStatus.WaitProcTimeout : LlmStatus.Timeout;
        Assert.Equal(timeout, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, 0, -1, new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), []);
    });
}
