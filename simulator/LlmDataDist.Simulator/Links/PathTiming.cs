namespace LlmDataDist.Simulator;

/// <summary>
/// How long the data phase of one uncontended transfer of n blocks and S bytes takes on one engine path:
/// <c>D = ((n g)^p + (S / B)^p)^(1/p)</c>, the p-norm of its descriptor-bound time <c>n g</c> and its
/// bandwidth-bound time <c>S / B</c>. Large p approaches <c>max(n g, S / B)</c> (the two overlap fully); p = 1 is
/// their sum (no overlap); p below 1 is slower than the sum (descriptor work and data movement get in each other's
/// way, as the A3 RoCE comm-domain measurements show). Concurrent transfers still share link bandwidth max-min fairly: D only caps what one
/// transfer can use (<c>S / D</c>).
/// </summary>
/// <param name="PerBlockNs">Per-block (descriptor) cost g, in ns.</param>
/// <param name="BandwidthBytesPerSecond">Plateau bandwidth B of the path for one transfer.</param>
/// <param name="Sharpness">The exponent p, at least 0.5; <see cref="double.PositiveInfinity"/> for the sharp <c>max()</c>.</param>
public sealed record PathTiming(double PerBlockNs, long BandwidthBytesPerSecond, double Sharpness)
{
    /// <summary>Throws when a value is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative or non-finite g, a non-positive B, or p below 0.5.</exception>
    public void Validate()
    {
        if (!(PerBlockNs >= 0) || double.IsInfinity(PerBlockNs))
        {
            throw new ArgumentOutOfRangeException(nameof(PerBlockNs), PerBlockNs, "the per-block cost is a finite number of ns, at least 0");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BandwidthBytesPerSecond);
        if (!(Sharpness >= 0.5))
        {
            throw new ArgumentOutOfRangeException(nameof(Sharpness), Sharpness, "the sharpness p is at least 0.5 (1 adds the two times, +∞ takes their max)");
        }
    }

    /// <summary>The timing a route has without a calibrated path: its largest per-block cost, its tightest hop's
    /// bandwidth and the sharp <c>max()</c>.</summary>
    /// <param name="route">The route.</param>
    /// <returns>The timing.</returns>
    public static PathTiming Of(Route route)
    {
        ArgumentNullException.ThrowIfNull(route);
        return new PathTiming(route.PerBlockNs, route.BandwidthBytesPerSecond, double.PositiveInfinity);
    }

    /// <summary>Data-phase time of one uncontended transfer, rounded up to the next ns.</summary>
    /// <param name="bytes">Bytes moved.</param>
    /// <param name="blocks">Blocks (descriptors).</param>
    /// <returns>Nanoseconds.</returns>
    public long DataPhaseNs(long bytes, long blocks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ArgumentOutOfRangeException.ThrowIfNegative(blocks);
        if (double.IsPositiveInfinity(Sharpness) && PerBlockNs == Math.Floor(PerBlockNs))
        {
            // The sharp corner in exact integers, as the model had it before paths were calibrated.
            var bytesNs = (long)Int128.Min(long.MaxValue, (((Int128)bytes * SimTime.NsPerSecond) + BandwidthBytesPerSecond - 1) / BandwidthBytesPerSecond);
            return Math.Max(checked(blocks * (long)PerBlockNs), bytesNs);
        }

        var ns = DetMath.PNorm(blocks * PerBlockNs, bytes * (double)SimTime.NsPerSecond / BandwidthBytesPerSecond, Sharpness);
        return ns >= long.MaxValue ? long.MaxValue : (long)Math.Ceiling(ns);
    }
}
