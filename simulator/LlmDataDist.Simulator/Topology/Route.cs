namespace LlmDataDist.Simulator;

/// <summary>The hops a transfer crosses, and how the transfer is priced. Hops are pipelined, so a route costs the sum of
/// its latencies, then its data phase (<see cref="Timing"/>), within whatever bandwidth share its tightest hop gives it.</summary>
public sealed class Route
{
    /// <summary>Creates a route.</summary>
    /// <param name="source">Where data comes from.</param>
    /// <param name="destination">Where data goes.</param>
    /// <param name="hops">The links crossed, in order; empty for a transfer inside one device.</param>
    public Route(Endpoint source, Endpoint destination, IReadOnlyList<LinkInfo> hops)
        : this(source, destination, hops, null)
    {
    }

    /// <summary>Creates a route priced by a calibrated path.</summary>
    /// <param name="source">Where data comes from.</param>
    /// <param name="destination">Where data goes.</param>
    /// <param name="hops">The links crossed, in order.</param>
    /// <param name="timing">The data-phase timing; null for the hops' own (largest g, smallest B, sharp max()).</param>
    public Route(Endpoint source, Endpoint destination, IReadOnlyList<LinkInfo> hops, PathTiming? timing)
    {
        ArgumentNullException.ThrowIfNull(hops);
        Source = source;
        Destination = destination;
        Hops = hops;
        _hops = [.. hops];
        BandwidthBytesPerSecond = long.MaxValue;
        foreach (var hop in hops)
        {
            LatencyNs += hop.LatencyNs;
            PerBlockNs = Math.Max(PerBlockNs, hop.PerBlockNs);
            BandwidthBytesPerSecond = Math.Min(BandwidthBytesPerSecond, hop.BandwidthBytesPerSecond);
        }

        timing?.Validate();
        Timing = timing ?? PathTiming.Of(this);
    }

    /// <summary>The route's link class for reports: its first hop's kind in lower case (hccs, roce, pcie), or local.</summary>
    public string LinkClass => Hops.Count == 0 ? "local" : Hops[0].Kind.ToString().ToLowerInvariant();

    // The hops as an array: the network walks them for every flow in every fair-share round, and a foreach over the
    // interface would allocate an enumerator each time.
    private readonly LinkInfo[] _hops;

    /// <summary>Where data comes from.</summary>
    public Endpoint Source { get; }

    /// <summary>Where data goes.</summary>
    public Endpoint Destination { get; }

    /// <summary>The links crossed, in order.</summary>
    public IReadOnlyList<LinkInfo> Hops { get; }

    /// <summary>The hops, to walk without allocating.</summary>
    internal ReadOnlySpan<LinkInfo> HopSpan => _hops;

    /// <summary>The hop names joined by '>' (as transfer trace events name the route), built once.</summary>
    internal string HopNames => _hopNames ??= string.Join('>', _hops.Select(h => h.Name));

    private string? _hopNames;

    /// <summary>The destination's name, built once.</summary>
    internal string DestinationName => _destinationName ??= Destination.ToString();

    private string? _destinationName;

    /// <summary>Sum of the hops' latencies, without jitter.</summary>
    public long LatencyNs { get; }

    /// <summary>The largest per-block cost among the hops.</summary>
    public long PerBlockNs { get; }

    /// <summary>The smallest plateau bandwidth among the hops (<see cref="long.MaxValue"/> with no hop).</summary>
    public long BandwidthBytesPerSecond { get; }

    /// <summary>How the data phase is priced: a calibrated path's timing, or the hops' own.</summary>
    public PathTiming Timing { get; }

    /// <summary>The same hops priced by another timing.</summary>
    /// <param name="timing">The timing.</param>
    /// <returns>The route.</returns>
    public Route WithTiming(PathTiming timing)
    {
        ArgumentNullException.ThrowIfNull(timing);
        return new Route(Source, Destination, Hops, timing);
    }

    /// <summary>Time of an uncontended transfer without jitter: <c>L + D(n, S)</c> (<see cref="PathTiming.DataPhaseNs"/>),
    /// the data phase bounded by the tightest hop's bandwidth too.</summary>
    /// <param name="bytes">Bytes moved.</param>
    /// <param name="blocks">Blocks (descriptors) moved.</param>
    /// <returns>Nanoseconds.</returns>
    public long IdealDurationNs(long bytes, long blocks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ArgumentOutOfRangeException.ThrowIfNegative(blocks);
        if (Hops.Count == 0)
        {
            return LatencyNs + (blocks * PerBlockNs);
        }

        var linkNs = (long)(((Int128)bytes * SimTime.NsPerSecond + BandwidthBytesPerSecond - 1) / BandwidthBytesPerSecond);
        return LatencyNs + Math.Max(Timing.DataPhaseNs(bytes, blocks), linkNs);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        Hops.Count == 0 ? $"{Source} (local)" : $"{Source}->{Destination} via {string.Join(" > ", Hops.Select(h => h.Name))}";
}
