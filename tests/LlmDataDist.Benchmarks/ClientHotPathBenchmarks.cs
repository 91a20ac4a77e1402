using System.Diagnostics;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using LlmDataDist.Tests.Support;

namespace LlmDataDist.Benchmarks;

/// <summary>
/// What the typed client adds to a backend call: PullKvBlocks of four blocks against a backend that returns an
/// already completed status. Baseline: the raw backend call. Then the client with nothing listening (the target:
/// 0 B and at most 50 ns over the baseline), and with an ActivityListener and a MeterListener on its telemetry (the
/// cost of a span and a duration measurement per call).
/// </summary>
[MemoryDiagnoser]
public class ClientHotPathBenchmarks
{
    // Typed as the contract, as the client holds it: the baseline pays the same interface dispatch.
    private readonly ILlmDataDistBackend _backend = new CompletedBackend();
    private readonly CacheIndex _remote = new(2, 1, 0);
    private readonly Cache _cache = new(1, [0x1000, 0x2000, 0x3000, 0x4000], new CacheDesc(CachePlacement.Device, 4, DataType.Float16, [64, 1024]));
    private readonly KvCacheExtParam _all = new();
    private readonly IReadOnlyList<ulong> _src = [0, 1, 2, 3];
    private readonly IReadOnlyList<ulong> _dst = [4, 5, 6, 7];
    private ActivitySource _quietSource = null!;
    private Meter _quietMeter = null!;
    private ActivitySource _heardSource = null!;
    private Meter _heardMeter = null!;
    private ActivityListener _activityListener = null!;
    private MeterListener _meterListener = null!;
    private LlmDataDistClient _quiet = null!;
    private LlmDataDistClient _heard = null!;

    [GlobalSetup]
    public void Setup()
    {
        _quietSource = new ActivitySource("bench.quiet");
        _quietMeter = new Meter("bench.quiet");
        _heardSource = new ActivitySource("bench.heard");
        _heardMeter = new Meter("bench.heard");
        _quiet = new LlmDataDistClient(_backend, new LlmDataDistClientOptions { ActivitySource = _quietSource, Meter = _quietMeter });
        _heard = new LlmDataDistClient(new CompletedBackend(), new LlmDataDistClientOptions { ActivitySource = _heardSource, Meter = _heardMeter });
        _activityListener = new ActivityListener
        {
            ShouldListenTo = source => ReferenceEquals(source, _heardSource),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_activityListener);
        _meterListener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, _heardMeter))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meterListener.SetMeasurementEventCallback<double>(static (_, _, _, _) => { });
        _meterListener.Start();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _activityListener.Dispose();
        _meterListener.Dispose();
        _quietSource.Dispose();
        _quietMeter.Dispose();
        _heardSource.Dispose();
        _heardMeter.Dispose();
    }

    [Benchmark(Baseline = true)]
    public LlmStatus RawBackend()
    {
        var task = _backend.PullKvBlocksAsync(_remote, _cache, _src, _dst, _all);
        return task.IsCompletedSuccessfully ? task.Result : LlmStatus.Failed;
    }

    [Benchmark]
    public bool ClientNoListener()
    {
        var task = _quiet.PullKvBlocksAsync(_remote, _cache, _src, _dst, _all);
        return task.IsCompletedSuccessfully;
    }

    [Benchmark]
    public bool ClientWithListeners()
    {
        var task = _heard.PullKvBlocksAsync(_remote, _cache, _src, _dst, _all);
        return task.IsCompletedSuccessfully;
    }
}
