namespace LlmDataDist.Simulator;

/// <summary>Why a simulated run could not finish.</summary>
public enum SimulationFailureKind
{
    /// <summary>No event is queued but the scenario has not finished: something waits for what will never come.</summary>
    Deadlock,

    /// <summary>The loop ran more events than its budget allows: a livelock or a runaway loop.</summary>
    StepBudgetExhausted,

    /// <summary>A queued callback threw (a bug in simulator code, or an exception from an <c>async void</c> method).</summary>
    EventFailed,

    /// <summary>Work reached the loop from another thread: something escaped to the thread pool.</summary>
    ForeignThread,
}
