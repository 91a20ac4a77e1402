using System.Diagnostics;
using System.Diagnostics.Metrics;
using LlmDataDist.Tests.Support;
using static LlmDataDist.Tests.Support.Samples;

namespace LlmDataDist.Tests;

/// <summary>
/// With nothing listening to its activity source or meter, a client call that the backend completes synchronously
/// allocates nothing: validation, telemetry and the async method all stay on the stack. Counted exactly with the
/// thread's allocation counter (deterministic: no timing).
/// </summary>
public sealed class HotPathAllocationTests : IDisposable
{
    private const int Calls = 1000;
    private readonly ActivitySource _source = new("LlmDataDist.Tests.Unheard." + Guid.NewGuid().ToString("N"));
    private readonly Meter _meter = new("LlmDataDist.Tests.Unheard." + Guid.NewGuid().ToString("N"));
    private readonly LlmDataDistClient _client;
    private readonly CacheIndex _remote = Remote();
    private readonly Cache _cache = DeviceCache();
    private readonly KvCacheExtParam _all = new();
    private readonly IReadOnlyList<ulong> _src = [0, 1, 2, 3];
    private readonly IReadOnlyList<ulong> _dst = [4, 5, 6, 7];

    public HotPathAllocationTests() =>
        _client = new LlmDataDistClient(new CompletedBackend(), new LlmDataDistClientOptions { ActivitySource = _source, Meter = _meter });

    public void Dispose()
    {
        _source.Dispose();
        _meter.Dispose();
    }

    [Fact]
    public void PullKvBlocks_allocates_nothing() =>
        AssertAllocatesNothing(() => _client.PullKvBlocksAsync(_remote, _cache, _src, _dst, _all));

    [Fact]
    public void PullKvCache_allocates_nothing() =>
        AssertAllocatesNothing(() => _client.PullKvCacheAsync(_remote, _cache, batchIndex: 1, extParam: _all));

    [Fact]
    public void PushKvBlocks_allocates_nothing() =>
        AssertAllocatesNothing(() => _client.PushKvBlocksAsync(_cache, _remote, _src, _dst, _all));

    [Fact]
    public void DeallocateCache_allocates_nothing() =>
        AssertAllocatesNothing(() => _client.DeallocateCacheAsync(7));

    private static void AssertAllocatesNothing(Func<ValueTask> call)
    {
        // Warm up: JIT, tiering and every lazily built static are paid before counting.
        for (var i = 0; i < 200; i++)
        {
            Complete(call());
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Calls; i++)
        {
            Complete(call());
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{Calls} calls allocated {allocated} bytes ({allocated / (double)Calls:F1} per call)");
    }

    /// <summary>The backend completes synchronously, so the client's task must be complete already.</summary>
    private static void Complete(ValueTask task)
    {
        if (!task.IsCompletedSuccessfully)
        {
            Assert.Fail("the call did not complete synchronously");
        }

        task.GetAwaiter().GetResult();
    }
}
