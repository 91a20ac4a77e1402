using System.Text;

namespace LlmDataDist.Simulator;

/// <summary>One visible step of a run.</summary>
/// <param name="TimeNs">Virtual time of the event, or of the span's start.</param>
/// <param name="DurationNs">Span length; 0 for instants.</param>
/// <param name="Kind">Instant or span.</param>
/// <param name="Category">Coarse grouping: <c>transfer</c>, <c>link</c>, <c>memory</c>, <c>fault</c>, <c>call</c>...</param>
/// <param name="Name">What happened.</param>
/// <param name="Actor">Who it happened to.</param>
/// <param name="Args">Details as key/value strings, sorted by key (ordinal).</param>
public sealed record TraceEvent(long TimeNs, long DurationNs, TraceEventKind Kind, string Category, string Name,
    TraceActor Actor, IReadOnlyList<KeyValuePair<string, string>> Args)
{
    /// <summary>One line for logs and failure reports, e.g. <c>t=1.204000ms npu1 PullKvCache cache=7 status=...</c>.</summary>
    /// <returns>The line.</returns>
    public override string ToString()
    {
        var line = new StringBuilder();
        line.Append("t=").Append(SimTime.Format(TimeNs)).Append(' ').Append(Actor.Name).Append(' ').Append(Name);
        if (Kind == TraceEventKind.Complete)
        {
            line.Append(" dur=").Append(SimTime.Format(DurationNs));
        }

        foreach (var (key, value) in Args)
        {
            line.Append(' ').Append(key).Append('=').Append(value);
        }

        return line.ToString();
    }
}
