namespace LlmDataDist.Simulator;

/// <summary>The result of <see cref="Network.TransferAsync(Route, long, int, long, CancellationToken)"/>.</summary>
/// <param name="Id">Transfer number, from 1 per network.</param>
/// <param name="Status">How it ended.</param>
/// <param name="StartNs">Virtual start time.</param>
/// <param name="EndNs">Virtual end time (the deadline itself for <see cref="TransferStatus.TimedOut"/>).</param>
/// <param name="Bytes">Bytes requested.</param>
/// <param name="Blocks">Blocks requested.</param>
/// <param name="Cause">Why it did not complete (<c>deadline</c>, <c>link npu3.roce.tx down</c>, <c>dropped by the fault plan</c>...), or null.</param>
public readonly record struct TransferOutcome(long Id, TransferStatus Status, long StartNs, long EndNs, long Bytes, int Blocks, string? Cause)
{
    /// <summary>Whether every byte arrived.</summary>
    public bool IsCompleted => Status == TransferStatus.Completed;

    /// <summary>End minus start.</summary>
    public long DurationNs => EndNs - StartNs;
}
