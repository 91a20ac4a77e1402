using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Backend;

/// <summary>A cache an instance knows by id: allocated by it (CE, it owns the buffers) or registered caller memory (HX).</summary>
/// <param name="Id">The id in the instance's numbering.</param>
/// <param name="Desc">The description it was created with.</param>
/// <param name="Geometry">Its byte layout.</param>
/// <param name="Addresses">One address per tensor (CE multi-device: device-major).</param>
/// <param name="Owned">The buffers to free on deallocation; empty for registered memory.</param>
internal sealed record SimulatedCache(long Id, CacheDesc Desc, CacheGeometry Geometry, IReadOnlyList<ulong> Addresses, IReadOnlyList<SimBuffer> Owned);
