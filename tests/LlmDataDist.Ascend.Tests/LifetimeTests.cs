namespace LlmDataDist.Ascend.Tests;

/// <summary>The native instance's lifetime under Dispose, reuse and concurrency: statuses or ObjectDisposedException, never a crash.</summary>
public sealed class LifetimeTests
{
    private static readonly KvCacheExtParam AllLayers = new();

    [Fact]
    public async Task Every_method_after_Dispose_throws_ObjectDisposedException()
    {
        using var scenario = new NativeScenario();
        var backend = scenario.Create(70, LlmRole.Decoder);
        Assert.Equal(LlmStatus.Success, await backend.InitializeAsync(NativeScenario.Options()));
        backend.Dispose();
        backend.Dispose(); // twice is harmless

        var cache = new Cache(1, [0x1000], NativeScenario.Desc());
        var index = new CacheIndex(1, 1, 0);
        Func<Task>[] calls =
        [
            async () => await backend.InitializeAsync(NativeScenario.Options()),
            async () => await backend.ShutdownAsync(),
            async () => await backend.SetRoleAsync(LlmRole.Prompt, NativeScenario.Options()),
            async () => await backend.LinkLlmClustersAsync([new ClusterInfo()], 10),
            async () => await backend.UnlinkLlmClustersAsync([new ClusterInfo()], 10, false),
            async () => await backend.AllocateCacheAsync(NativeScenario.Desc()),
            async () => await backend.DeallocateCacheAsync(1),
            async () => await backend.PullKvCacheAsync(index, cache, 0, -1, AllLayers),
            async () => await backend.PullKvBlocksAsync(index, cache, [0], [0], AllLayers),
            async () => await backend.CopyKvCacheAsync(cache, cache, 0, 1, 0, -1),
            async () => await backend.CopyKvBlocksAsync(cache, cache, [0], [[1]]),
            async () => await backend.PushKvCacheAsync(cache, index, 0, -1, AllLayers),
            async () => await backend.PushKvBlocksAsync(cache, index, [0], [0], AllLayers),
            async () => await backend.RegisterKvCacheAsync(NativeScenario.Desc(), [0x1000], new RegisterCfg()),
            async () => await backend.UnregisterKvCacheAsync(1),
        ];
        foreach (var call in calls)
        {
            await Assert.ThrowsAsync<ObjectDisposedException>(call);
        }
    }

    [Fact]
    public async Task Dispose_while_calls_are_in_flight_lets_every_accepted_call_finish_then_destroys_the_instance()
    {
        using var scenario = new NativeScenario();
        var (prompt, decoder, _) = await scenario.LinkedPairAsync(71, 72, "10.1.71.1", 27100);
        var desc = NativeScenario.Desc(rows: 64, rowElements: 4096);
        var src = await NativeScenario.AllocateAsync(prompt, desc);
        var dst = await NativeScenario.AllocateAsync(decoder, desc);
        NativeScenario.Fill(src, 3);

        // 64 pulls accepted, then Dispose while most still wait for a worker: each runs against a live instance.
        var pulls = Enumerable.Range(0, 64).Select(i => decoder.PullKvCacheAsync(new CacheIndex(71, src.CacheId, (uint)i), dst, (uint)i, -1, AllLayers).AsTask()).ToArray();
        decoder.Dispose();
        var statuses = await Task.WhenAll(pulls);

        Assert.All(statuses, s => Assert.Equal(LlmStatus.Success, s));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await decoder.DeallocateCacheAsync(dst.CacheId));

        // The destructor ran when the last pull returned (before its task completed): the id is free to link again.
        var again = scenario.Create(72, LlmRole.Decoder);
        Assert.Equal(LlmStatus.Success, await again.InitializeAsync(NativeScenario.Options()));
        var toPrompt = new ClusterInfo { RemoteClusterId = 71, LocalIpInfos = [new IpInfo { Ip = "10.1.0.1" }], RemoteIpInfos = [new IpInfo { Ip = "10.1.71.1", Port = 27100 }] };
        Assert.Equal(LlmStatus.Success, (await again.LinkLlmClustersAsync([toPrompt], 5000)).Rets.Single());
    }

    [Fact]
    public async Task Finalize_then_Initialize_again_gives_a_working_instance_through_the_client()
    {
        await using var client = LlmDataDistClient.Create(NativeTestEnvironment.Factory, 73, LlmRole.Decoder);
        await client.InitializeAsync(new LlmDataDistOptions { DeviceId = 0 });
        var first = await client.AllocateCacheAsync(NativeScenario.Desc());
        await client.ShutdownAsync();
        await Assert.ThrowsAnyAsync<LlmDataDistException>(async () => await client.DeallocateCacheAsync(first.CacheId));

        await client.InitializeAsync(new LlmDataDistOptions { DeviceId = 0 });
        var second = await client.AllocateCacheAsync(NativeScenario.Desc());
        Assert.Equal(first.CacheId, second.CacheId); // ids restart after Finalize (reference §9.8)
        NativeScenario.Fill(second, 1);
        await client.DeallocateCacheAsync(second.CacheId);
    }

    [Fact]
    public async Task Sixty_four_concurrent_callers_on_one_instance_each_get_their_own_bytes()
    {
        using var scenario = new NativeScenario();
        var backend = scenario.Create(74, LlmRole.Mix);
        Assert.Equal(LlmStatus.Success, await backend.InitializeAsync(NativeScenario.Options()));
        var desc = NativeScenario.Desc(tensors: 2, rows: 64, rowElements: 64);
        var src = await NativeScenario.AllocateAsync(backend, desc);
        NativeScenario.Fill(src, 5);

        await Task.WhenAll(Enumerable.Range(0, 64).Select(caller => Task.Run(async () =>
        {
            var dst = await NativeScenario.AllocateAsync(backend, desc);
            Assert.Equal(LlmStatus.Success, await backend.CopyKvCacheAsync(src, dst, (uint)caller, (uint)caller, 0, -1));
            Assert.Equal(LlmStatus.Success, await backend.CopyKvBlocksAsync(src, dst, [(ulong)((caller + 1) % 64)], [[(ulong)((caller + 1) % 64)]]));
            for (var t = 0; t < 2; t++)
            {
                Assert.Equal(NativeScenario.Row(src, t, caller), NativeScenario.Row(dst, t, caller));
                Assert.Equal(NativeScenario.Row(src, t, (caller + 1) % 64), NativeScenario.Row(dst, t, (caller + 1) % 64));
            }

            Assert.Equal(LlmStatus.Success, await backend.DeallocateCacheAsync(dst.CacheId));
        })));
    }

    [Fact]
    public async Task Sixty_four_concurrent_callers_across_instances_pull_and_push_exact_rows()
    {
        using var scenario = new NativeScenario();
        var pairs = new List<(AscendBackend Prompt, AscendBackend Decoder, Cache Src, Cache Dst)>();
        for (var p = 0; p < 4; p++)
        {
            var (prompt, decoder, _) = await scenario.LinkedPairAsync((ulong)(80 + p), (ulong)(90 + p), $"10.1.80.{p + 1}", (ushort)(27200 + p));
            var desc = NativeScenario.Desc(rows: 16, rowElements: 256);
            var src = await NativeScenario.AllocateAsync(prompt, desc);
            var dst = await NativeScenario.AllocateAsync(decoder, desc);
            NativeScenario.Fill(src, p);
            pairs.Add((prompt, decoder, src, dst));
        }

        // 16 callers per pair: 8 pull rows 0..7, 8 push rows 8..15; each row is written by exactly one caller.
        await Task.WhenAll(Enumerable.Range(0, 64).Select(caller => Task.Run(async () =>
        {
            var (prompt, decoder, src, dst) = pairs[caller % 4];
            var row = (uint)(caller / 4);
            var status = row < 8
                ? await decoder.PullKvCacheAsync(new CacheIndex(prompt.ClusterId, src.CacheId, row), dst, row, -1, AllLayers)
                : await prompt.PushKvCacheAsync(src, new CacheIndex(decoder.ClusterId, dst.CacheId, row), row, -1, AllLayers);
            Assert.Equal(LlmStatus.Success, status);
        })));

        foreach (var (_, _, src, dst) in pairs)
        {
            for (var t = 0; t < 4; t++)
            {
                Assert.True(NativeScenario.Tensor(src, t).SequenceEqual(NativeScenario.Tensor(dst, t)), $"tensor {t} differs");
            }
        }
    }

    [Fact]
    public async Task Cancellation_stops_the_wait_but_not_the_call()
    {
        using var scenario = new NativeScenario();
        var (prompt, decoder, _) = await scenario.LinkedPairAsync(75, 76, "10.1.75.1", 27300);
        var desc = NativeScenario.Desc(tensors: 2, rows: 1, rowElements: 4 << 20); // 16 MiB per tensor
        var src = await NativeScenario.AllocateAsync(prompt, desc);
        var dst = await NativeScenario.AllocateAsync(decoder, desc);
        NativeScenario.Fill(src, 9);

        // Already cancelled: the call is not made at all.
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await decoder.PullKvCacheAsync(new CacheIndex(75, src.CacheId, 0), dst, 0, -1, AllLayers, cancelled.Token));
        Assert.False(NativeScenario.Tensor(dst, 0).SequenceEqual(NativeScenario.Tensor(src, 0)));

        // Cancelled while queued or running: the task is cancelled, the pull still happens, and its memory stays valid.
        using var cts = new CancellationTokenSource();
        var pull = decoder.PullKvCacheAsync(new CacheIndex(75, src.CacheId, 0), dst, 0, -1, AllLayers, cts.Token).AsTask();
        await cts.CancelAsync();
        var outcome = await Record.ExceptionAsync(() => pull);
        Assert.True(outcome is null or OperationCanceledException, $"unexpected {outcome}");

        var deadline = DateTime.UtcNow.AddSeconds(30); // a liveness bound, not a timing assertion
        while (!NativeScenario.Tensor(dst, 1).SequenceEqual(NativeScenario.Tensor(src, 1)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        Assert.True(NativeScenario.Tensor(dst, 0).SequenceEqual(NativeScenario.Tensor(src, 0)), "the cancelled pull did not run to its end");
    }

    [Fact]
    public async Task Concurrent_calls_with_cancelled_waits_each_get_their_own_result()
    {
        // Call objects are pooled and reused: a caller must only ever see its own call's result, whether its wait was
        // cancelled or not, and whether it awaits the ValueTask directly or through AsTask.
        using var scenario = new NativeScenario();
        var backend = scenario.Create(77, LlmRole.Decoder);
        Assert.Equal(LlmStatus.Success, await backend.InitializeAsync(NativeScenario.Options()));
        var desc = NativeScenario.Desc(tensors: 1, rows: 1, rowElements: 4);
        var ids = new List<long>();
        for (var round = 0; round < 40; round++)
        {
            using var cts = new CancellationTokenSource();
            var calls = Enumerable.Range(0, 8).Select(i => backend.AllocateCacheAsync(desc, i % 2 == 0 ? cts.Token : CancellationToken.None)).ToArray();
            await cts.CancelAsync();
            for (var i = 0; i < calls.Length; i++)
            {
                try
                {
                    var result = i % 4 < 2 ? await calls[i] : await calls[i].AsTask();
                    Assert.Equal(LlmStatus.Success, result.Status);
                    ids.Add(result.Cache.CacheId);
                }
                catch (OperationCanceledException) when (i % 2 == 0)
                {
                    // Only the cancellable waits may end this way; their allocation still ran.
                }
            }
        }

        Assert.True(ids.Count >= 40 * 4, $"only {ids.Count} uncancelled calls returned");
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }
}
