namespace LlmDataDist.Simulator;

/// <summary>A queued event's state that can say "skip me": the priority queue cannot remove entries cheaply, so a
/// canceled event stays queued and the loop drops it without advancing the clock.</summary>
internal interface ICancelableEvent
{
    /// <summary>Whether the event should be skipped.</summary>
    bool IsCanceled { get; }
}
