using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace LlmDataDist;

/// <summary>
/// Names of the SDK's telemetry. Built on System.Diagnostics, so OpenTelemetry collects it with
/// <c>AddSource(LlmDataDistTelemetry.Name)</c> and <c>AddMeter(LlmDataDistTelemetry.Name)</c> and no extra dependency.
/// </summary>
public static class LlmDataDistTelemetry
{
    /// <summary>The name of the activity source and of the meter.</summary>
    public const string Name = "LlmDataDist";

    /// <summary>The duration histogram: one measurement per call, in seconds.</summary>
    public const string DurationInstrument = "llmdatadist.call.duration";

    /// <summary>Tag: the C++ name of the operation (e.g. <c>PullKvBlocks</c>).</summary>
    public const string OperationTag = "llmdatadist.operation";

    /// <summary>Tag: the status name (e.g. <c>Success</c>), the raw code in hex when unnamed, or <c>exception</c>.</summary>
    public const string StatusTag = "llmdatadist.status";

    /// <summary>Span tag: the raw status code as a number.</summary>
    public const string StatusCodeTag = "llmdatadist.status_code";

    /// <summary>The shared activity source.</summary>
    public static ActivitySource ActivitySource { get; } = new(Name);

    /// <summary>The shared meter.</summary>
    public static Meter Meter { get; } = new(Name);
}
