using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace LlmDataDist.Tests.Support;

/// <summary>
/// A meter and activity source of one test's own, with listeners that collect only what they emit, and a manual clock:
/// tests running in parallel (each with its own capture) never see each other's measurements.
/// </summary>
public sealed class TelemetryCapture : IDisposable
{
    private readonly MeterListener _meterListener = new();
    private readonly ActivityListener _activityListener;
    private readonly ConcurrentQueue<Measurement> _measurements = new();
    private readonly ConcurrentQueue<Activity> _activities = new();

    public TelemetryCapture()
    {
        var name = "LlmDataDist.Tests." + Guid.NewGuid().ToString("N");
        Meter = new Meter(name);
        Source = new ActivitySource(name);

        _meterListener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, Meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meterListener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            _measurements.Enqueue(new Measurement(instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal))));
        _meterListener.Start();

        _activityListener = new ActivityListener
        {
            ShouldListenTo = source => ReferenceEquals(source, Source),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _activities.Enqueue,
        };
        ActivitySource.AddActivityListener(_activityListener);
    }

    public Meter Meter { get; }

    public ActivitySource Source { get; }

    public ManualTimeProvider Clock { get; } = new();

    public LlmDataDistClientOptions ClientOptions => new() { Meter = Meter, ActivitySource = Source, TimeProvider = Clock };

    public IReadOnlyList<Measurement> Measurements => [.. _measurements];

    public IReadOnlyList<Activity> Activities => [.. _activities];

    public void Dispose()
    {
        _meterListener.Dispose();
        _activityListener.Dispose();
        Meter.Dispose();
        Source.Dispose();
    }

    public sealed record Measurement(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags);
}
