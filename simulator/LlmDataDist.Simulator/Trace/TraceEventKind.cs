namespace LlmDataDist.Simulator;

/// <summary>Shape of a trace event.</summary>
public enum TraceEventKind
{
    /// <summary>A point in time (Chrome phase <c>i</c>).</summary>
    Instant,

    /// <summary>A span with a start and a duration (Chrome phase <c>X</c>).</summary>
    Complete,
}
