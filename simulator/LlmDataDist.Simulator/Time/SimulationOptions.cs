namespace LlmDataDist.Simulator;

/// <summary>Knobs of a <see cref="SimulatedWorld"/>.</summary>
/// <param name="MetadataOnly">Buffers keep sizes and addresses but no bytes (reads give nothing, writes do nothing).</param>
/// <param name="StepsMax">Events one run may execute before it fails as a livelock.</param>
/// <param name="KeepTraceEvents">Keep trace events for export and failure reports (the hash is kept either way).</param>
/// <param name="Jitter">Add the links' seeded latency jitter.</param>
/// <param name="TraceTailLines">Trace lines appended to failure reports.</param>
public sealed record SimulationOptions(
    bool MetadataOnly = false,
    long StepsMax = SimLoop.StepsMaxDefault,
    bool KeepTraceEvents = true,
    bool Jitter = true,
    int TraceTailLines = 20)
{
    /// <summary>Real bytes, default budget, events kept, jitter on.</summary>
    public static SimulationOptions Default { get; } = new();
}
