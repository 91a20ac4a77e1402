namespace LlmDataDist.Simulator.Semantics;

/// <summary>
/// The two engines that shipped <c>llm_datadist.h</c> (reference §0.1). They share the header and most argument
/// rules but differ in which methods work, role rules, limits and statuses; a simulated world runs one of them.
/// </summary>
public enum EngineProfile
{
    /// <summary>CacheEngine (<c>libllm_engine.so</c>, CANN 8.x): AllocateCache and Copy*, role rules, 16-cluster and 512-link limits. The default.</summary>
    CE,

    /// <summary>HIXL-era engine: RegisterKvCache, role-agnostic transfers, no cluster limit, per-cluster results appended.</summary>
    HX,
}
