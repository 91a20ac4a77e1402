using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace LlmDataDist;

/// <summary>Settings of a <see cref="LlmDataDistClient"/>: where its telemetry goes and which clock times calls.</summary>
public sealed class LlmDataDistClientOptions
{
    /// <summary>The clock that times calls; the simulator passes its virtual-time provider here.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The source of the per-call spans; null for the shared <see cref="LlmDataDistTelemetry.ActivitySource"/>.</summary>
    public ActivitySource? ActivitySource { get; init; }

    /// <summary>The meter of the per-call duration histogram; null for the shared <see cref="LlmDataDistTelemetry.Meter"/>.</summary>
    public Meter? Meter { get; init; }
}
