namespace LlmDataDist.Simulator;

/// <summary>The hops a transfer crosses. Hops are pipelined, so a route costs the sum of its latencies, the largest
/// per-block cost, and whatever bandwidth share its tightest hop gives it.</summary>
public sealed class Route
{
    /// <summary>Creates a route.</summary>
    /// <param name="source">Where data comes from.</param>
    /// <param name="destination">Where data goes.</param>
    /// <param name="hops">The links crossed, in order; empty for a transfer inside one device.</param>
    public Route(Endpoint source, Endpoint destination, IReadOnlyList<LinkInfo> hops)
    {
        ArgumentNullException.ThrowIfNull(hops);
        Source = source;
        Destination = destination;
        Hops = hops;
        BandwidthBytesPerSecond = long.MaxValue;
        foreach (var hop in hops)
        {
            LatencyNs += hop.LatencyNs;
            PerBlockNs = Math.Max(PerBlockNs, hop.PerBlockNs);
            BandwidthBytesPerSecond = Math.Min(BandwidthBytesPerSecond, hop.BandwidthBytesPerSecond);
        }
    }

    /// <summary>Where data comes from.</summary>
    public Endpoint Source { get; }

    /// <summary>Where data goes.</summary>
    public Endpoint Destination { get; }

    /// <summary>The links crossed, in order.</summary>
    public IReadOnlyList<LinkInfo> Hops { get; }

    /// <summary>Sum of the hops' latencies, without jitter.</summary>
    public long LatencyNs { get; }

    /// <summary>The largest per-block cost among the hops.</summary>
    public long PerBlockNs { get; }

    /// <summary>The smallest plateau bandwidth among the hops (<see cref="long.MaxValue"/> with no hop).</summary>
    public long BandwidthBytesPerSecond { get; }

    /// <summary>Time of an uncontended transfer without jitter: <c>L + max(n g, S / B)</c>.</summary>
    /// <param name="bytes">Bytes moved.</param>
    /// <param name="blocks">Blocks (descriptors) moved.</param>
    /// <returns>Nanoseconds.</returns>
    public long IdealDurationNs(long bytes, long blocks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ArgumentOutOfRangeException.ThrowIfNegative(blocks);
        var dataNs = Hops.Count == 0 ? 0 : (long)(((Int128)bytes * SimTime.NsPerSecond + BandwidthBytesPerSecond - 1) / BandwidthBytesPerSecond);
        return LatencyNs + Math.Max(blocks * PerBlockNs, dataNs);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        Hops.Count == 0 ? $"{Source} (local)" : $"{Source}->{Destination} via {string.Join(" > ", Hops.Select(h => h.Name))}";
}
