namespace LlmDataDist.Simulator;

/// <summary>How an allocation ended. Running out of memory is a result, not an exception.</summary>
public enum AllocationStatus
{
    /// <summary>Allocated.</summary>
    Success,

    /// <summary>No free range is large enough (capacity or fragmentation).</summary>
    OutOfMemory,

    /// <summary>The fault plan failed this allocation.</summary>
    FaultInjected,
}
