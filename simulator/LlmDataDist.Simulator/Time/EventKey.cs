namespace LlmDataDist.Simulator;

/// <summary>The order of the loop's queue: time first, then scheduling sequence, so equal times run FIFO.</summary>
/// <param name="AtNs">When the event runs.</param>
/// <param name="Seq">Its place among events scheduled for the same time.</param>
/// <remarks>A struct with its own comparison, so the queue's comparisons inline (a value tuple's go through two
/// default comparers).</remarks>
internal readonly record struct EventKey(long AtNs, long Seq) : IComparable<EventKey>
{
    public int CompareTo(EventKey other) => AtNs != other.AtNs ? (AtNs < other.AtNs ? -1 : 1) : Seq.CompareTo(other.Seq);
}
