using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Backend;

/// <summary>A cache an instance knows by id: allocated by it (CE, it owns the buffers) or registered caller memory (HX).</summary>
/// <param name="Id">The id in the instance's numbering.</param>
/// <param name="Desc">The description it was created with.</param>
/// <param name="Geometry">Its byte layout.</param>
/// <param name="Addresses">One address per tensor (CE multi-device: device-major).</param>
/// <param name="Owned">The buffers to free on deallocation; empty for registered memory.</param>
internal sealed record SimulatedCache(long Id, CacheDesc Desc, CacheGeometry Geometry, IReadOnlyList<ulong> Addresses, IReadOnlyList<SimBuffer> Owned)
{
    // The last answer of AllTensorsResolve, valid while the one space holding every tensor keeps its buffers: a block
    // pull asks for every call, and resolving each tensor each time was a tenth of a long run.
    private MemorySpace? _resolvedIn;
    private long _resolvedVersion;
    private bool _resolvedHoldsBytes;

    /// <summary>Whether every tensor address resolves to a whole tensor (<see cref="CacheGeometry.TensorBytes"/>) of
    /// live memory, and whether any of those holds bytes.</summary>
    public bool AllTensorsResolve(MemorySystem memory, out bool holdsBytes)
    {
        if (_resolvedIn is { } remembered && remembered.Version == _resolvedVersion)
        {
            holdsBytes = _resolvedHoldsBytes;
            return true;
        }

        _resolvedIn = null;
        holdsBytes = false;
        MemorySpace? space = null;
        var oneSpace = true;
        foreach (var address in Addresses)
        {
            if (!memory.TryResolve(address, Geometry.TensorBytes, out var range))
            {
                holdsBytes = false;
                return false;
            }

            holdsBytes |= range.Buffer.HasBytes;
            oneSpace &= space is null || space == range.Buffer.Space;
            space = range.Buffer.Space;
        }

        if (oneSpace && space is not null)
        {
            (_resolvedIn, _resolvedVersion, _resolvedHoldsBytes) = (space, space.Version, holdsBytes);
        }

        return true;
    }
}
