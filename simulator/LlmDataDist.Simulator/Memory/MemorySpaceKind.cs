namespace LlmDataDist.Simulator;

/// <summary>Whose memory an address space is.</summary>
public enum MemorySpaceKind
{
    /// <summary>An NPU's HBM.</summary>
    Device = 1,

    /// <summary>A server's host memory.</summary>
    Host = 2,
}
