namespace LlmDataDist.Simulator.Semantics;

/// <summary>Which size table sizes a tensor (reference §3): the device function's narrower one, or the host's.</summary>
public enum Sizing
{
    /// <summary>HX RegisterKvCache and CE CopyKv*: every type with an element size.</summary>
    Host,

    /// <summary>CE AllocateCache: the device function's own table, which rejects strings, complex and float8/6/4 types.</summary>
    Device,
}
