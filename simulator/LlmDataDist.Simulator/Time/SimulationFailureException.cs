using System.Text;

namespace LlmDataDist.Simulator;

/// <summary>A simulated run that cannot finish: a deadlock, a step budget exhausted, a failed event or work from a
/// foreign thread. The message names the virtual time and every pending wait, so a failure explains itself.</summary>
public sealed class SimulationFailureException : Exception
{
    /// <summary>Creates an exception with a default message.</summary>
    public SimulationFailureException()
        : this("the simulation failed")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public SimulationFailureException(string message)
        : base(message)
    {
        Pending = [];
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public SimulationFailureException(string message, Exception innerException)
        : base(message, innerException)
    {
        Pending = [];
    }

    /// <summary>Creates an exception describing the loop's state at the failure.</summary>
    /// <param name="kind">Why the run failed.</param>
    /// <param name="nowNs">Virtual time of the failure.</param>
    /// <param name="pending">Descriptions of the waits still pending.</param>
    /// <param name="detail">Extra detail: queued events, replay hint, trace tail.</param>
    /// <param name="innerException">The cause, if any.</param>
    public SimulationFailureException(SimulationFailureKind kind, long nowNs, IReadOnlyList<string> pending, string detail, Exception? innerException = null)
        : base(Compose(kind, nowNs, pending, detail), innerException)
    {
        Kind = kind;
        NowNs = nowNs;
        Pending = pending;
    }

    /// <summary>Why the run failed.</summary>
    public SimulationFailureKind Kind { get; }

    /// <summary>Virtual time of the failure, in ns.</summary>
    public long NowNs { get; }

    /// <summary>Descriptions of the waits that were still pending, oldest first.</summary>
    public IReadOnlyList<string> Pending { get; }

    private static string Compose(SimulationFailureKind kind, long nowNs, IReadOnlyList<string> pending, string detail)
    {
        var text = new StringBuilder();
        text.Append(kind switch
        {
            SimulationFailureKind.Deadlock => "deadlock: idle but not done",
            SimulationFailureKind.StepBudgetExhausted => "step budget exhausted (livelock?)",
            SimulationFailureKind.EventFailed => "a queued event threw",
            SimulationFailureKind.ForeignThread => "work arrived from a thread other than the loop thread",
            _ => kind.ToString(),
        });
        text.Append(" at t=").Append(SimTime.Format(nowNs)).Append(" (").Append(nowNs).Append(" ns)");
        text.Append("; pending waits (").Append(pending.Count).Append(')');
        foreach (var wait in pending)
        {
            text.Append("\n  - ").Append(wait);
        }

        if (detail.Length > 0)
        {
            text.Append('\n').Append(detail);
        }

        return text.ToString();
    }
}
