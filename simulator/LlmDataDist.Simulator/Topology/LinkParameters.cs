namespace LlmDataDist.Simulator;

/// <summary>The timing of one port direction: its capacity, latency and jitter. A route without a calibrated path (a
/// custom topology, a control message, PCIe) is also priced by its ports:
/// <c>T(n blocks, S bytes) = LatencyNs + max(n * PerBlockNs, S / Bandwidth)</c>; engine transfers on a platform are
/// priced by their path's <see cref="PathTiming"/> instead.</summary>
/// <param name="BandwidthBytesPerSecond">Capacity, shared max-min fairly by concurrent transfers.</param>
/// <param name="LatencyNs">Fixed latency per hop.</param>
/// <param name="PerBlockNs">Per-block (descriptor) cost: a transfer of n blocks cannot finish its data phase faster than n times this.</param>
/// <param name="JitterNsMean">Mean of the exponential jitter added to the latency; zero for none.</param>
public sealed record LinkParameters(long BandwidthBytesPerSecond, long LatencyNs, long PerBlockNs, long JitterNsMean)
{
    /// <summary>Throws when a value is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A non-positive bandwidth or a negative time.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BandwidthBytesPerSecond);
        ArgumentOutOfRangeException.ThrowIfNegative(LatencyNs);
        ArgumentOutOfRangeException.ThrowIfNegative(PerBlockNs);
        ArgumentOutOfRangeException.ThrowIfNegative(JitterNsMean);
    }
}
