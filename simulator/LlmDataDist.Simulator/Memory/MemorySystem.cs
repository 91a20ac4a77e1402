namespace LlmDataDist.Simulator;

/// <summary>All address spaces of a topology: one per NPU (HBM) and one per server (host memory). Resolves any
/// simulated address, whichever space it belongs to.</summary>
public sealed class MemorySystem : IDisposable
{
    private readonly MemorySpace[] _devices;
    private readonly MemorySpace[] _hosts;

    /// <summary>Creates the spaces of a topology.</summary>
    /// <param name="topology">Capacities come from here.</param>
    /// <param name="metadataOnly">Keep sizes and addresses but no bytes (for scale runs).</param>
    /// <param name="faults">Consulted for injected allocation failures; null for none.</param>
    /// <param name="loop">Used for the trace time and the loop-thread check; null outside a world.</param>
    /// <param name="trace">Receives allocation and free events; null for none.</param>
    public MemorySystem(Topology topology, bool metadataOnly = false, FaultInjector? faults = null, SimLoop? loop = null, Trace? trace = null)
    {
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Math.Max(topology.Npus.Count, topology.Servers.Count) - 1, SimAddress.IndexMax);
        MetadataOnly = metadataOnly;
        _devices = [.. topology.Npus.Select(n => new MemorySpace(MemorySpaceKind.Device, n.Id, n.HbmBytes, metadataOnly, TraceActor.Npu(n), faults, loop, trace))];
        _hosts = [.. topology.Servers.Select(s => new MemorySpace(MemorySpaceKind.Host, s.Index, s.HostMemoryBytes, metadataOnly, TraceActor.Host(s.Index), faults, loop, trace))];
    }

    /// <summary>Whether buffers hold no bytes.</summary>
    public bool MetadataOnly { get; }

    /// <summary>The HBM of an NPU.</summary>
    /// <param name="npu">NPU id.</param>
    /// <returns>The space.</returns>
    public MemorySpace Device(int npu) => _devices[npu];

    /// <summary>The host memory of a server.</summary>
    /// <param name="server">Server index.</param>
    /// <returns>The space.</returns>
    public MemorySpace Host(int server) => _hosts[server];

    /// <summary>The space an address belongs to, if any.</summary>
    /// <param name="address">The address.</param>
    /// <returns>The space, or null.</returns>
    public MemorySpace? SpaceOf(ulong address)
    {
        if (!SimAddress.TryDecode(address, out var kind, out var index, out _))
        {
            return null;
        }

        var spaces = kind == MemorySpaceKind.Device ? _devices : _hosts;
        return index < spaces.Length ? spaces[index] : null;
    }

    /// <summary>Resolves <c>[address, address + length)</c> to a range of one live buffer.</summary>
    /// <param name="address">First address, possibly interior.</param>
    /// <param name="length">Length in bytes.</param>
    /// <param name="range">The range, when found.</param>
    /// <returns>False when the address resolves to nothing or the range leaves its buffer.</returns>
    public bool TryResolve(ulong address, long length, out ResolvedRange range)
    {
        range = default;
        if (length < 0 || SpaceOf(address) is not { } space || !space.TryResolve(address, out var buffer, out var offset)
            || offset > buffer.SizeBytes - length)
        {
            return false;
        }

        range = new ResolvedRange(buffer, offset, length);
        return true;
    }

    /// <summary>Copies one resolved range over another of the same length (see <see cref="ResolvedRange.CopyTo"/>).</summary>
    /// <param name="source">From.</param>
    /// <param name="destination">To.</param>
    public static void Copy(ResolvedRange source, ResolvedRange destination) => source.CopyTo(destination);

    /// <summary>Returns every buffer's bytes to the pool.</summary>
    public void Dispose()
    {
        foreach (var space in _devices.Concat(_hosts))
        {
            space.ReleaseAll();
        }
    }
}
