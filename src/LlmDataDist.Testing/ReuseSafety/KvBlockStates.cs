namespace LlmDataDist.Testing;

/// <summary>The blocks of one decoder pool at one moment (see <see cref="KvBlockTracker"/>).</summary>
/// <param name="InFlight">Blocks a transfer is writing now.</param>
/// <param name="TimedOut">Blocks a transfer that returned a timeout was writing, while the link that carried it still
/// stands: its bytes may still land there on hardware.</param>
/// <param name="Quarantined">Blocks the scheduler keeps out of its pool because of a timeout.</param>
/// <param name="Free">Blocks in the scheduler's pool, ready for the next request.</param>
public sealed record KvBlockStates(IReadOnlySet<ulong> InFlight, IReadOnlySet<ulong> TimedOut, IReadOnlySet<ulong> Quarantined, IReadOnlySet<ulong> Free)
{
    /// <summary>Free blocks that a transfer may still write: reusing them can corrupt the next request's KV.</summary>
    public IReadOnlySet<ulong> FreeButUnsafe => Free.Where(b => InFlight.Contains(b) || TimedOut.Contains(b)).ToHashSet();

    /// <summary>Counts, e.g. <c>in flight 2, timed out 3, quarantined 3, free 11</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        $"in flight {InFlight.Count}, timed out {TimedOut.Count}, quarantined {Quarantined.Count}, free {Free.Count}";
}

/// <summary>
/// Watches one decoder pool in a simulated world: which blocks transfers are writing and which a timed-out transfer may
/// still write (the simulator knows), next to what the scheduler says is free and quarantined. Assert on
/// <see cref="Now"/> or call <see cref="AssertReuseSafe"/> at any point of a scenario.
/// </summary>
public sealed class KvBlockTracker
{
    private readonly Simulator.Backend.SimulatedBackend _instance;
    private readonly long _cacheId;
    private readonly Func<IEnumerable<ulong>> _free;
    private readonly Func<IEnumerable<ulong>>? _quarantined;

    /// <summary>Starts watching a decoder's pool (turns on the instance's row tracking).</summary>
    /// <param name="sim">The scenario's context.</param>
    /// <param name="clusterId">The decoder.</param>
    /// <param name="cacheId">Its pool's cache id.</param>
    /// <param name="freeBlocks">The scheduler's free blocks of that pool, read at each look.</param>
    /// <param name="quarantinedBlocks">The scheduler's quarantined blocks; when null, timed-out blocks not free count as quarantined.</param>
    public KvBlockTracker(SimulationContext sim, ulong clusterId, long cacheId, Func<IEnumerable<ulong>> freeBlocks, Func<IEnumerable<ulong>>? quarantinedBlocks = null)
    {
        ArgumentNullException.ThrowIfNull(sim);
        ArgumentNullException.ThrowIfNull(freeBlocks);
        _instance = sim.Instance(clusterId);
        _instance.TracksRowsAtRisk = true;
        _cacheId = cacheId;
        _free = freeBlocks;
        _quarantined = quarantinedBlocks;
    }

    /// <summary>The blocks now.</summary>
    /// <returns>The states.</returns>
    public KvBlockStates Now()
    {
        var inFlight = _instance.RowsInFlight(_cacheId).Select(r => (ulong)r).ToHashSet();
        var timedOut = _instance.RowsAtRisk(_cacheId).Select(r => (ulong)r).ToHashSet();
        var free = _free().ToHashSet();
        var quarantined = _quarantined is null ? timedOut.Where(b => !free.Contains(b)).ToHashSet() : _quarantined().ToHashSet();
        return new KvBlockStates(inFlight, timedOut, quarantined, free);
    }

    /// <summary>Fails when a free block may still be written by a transfer (in flight, or timed out on a link that still stands).</summary>
    /// <exception cref="ReuseSafetyException">Some free block is unsafe; the message names them.</exception>
    public void AssertReuseSafe()
    {
        var now = Now();
        if (now.FreeButUnsafe.Count > 0)
        {
            throw new ReuseSafetyException($"blocks [{string.Join(", ", now.FreeButUnsafe.Order())}] of cluster {_instance.ClusterId} are free while a transfer may still write them ({now})");
        }
    }
}

/// <summary>A request was served with KV bytes other than its prompt's, or a free block may still be written.</summary>
public sealed class ReuseSafetyException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ReuseSafetyException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public ReuseSafetyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ReuseSafetyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
