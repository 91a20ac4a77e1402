namespace LlmDataDist.Simulator;

/// <summary>The transport a link belongs to.</summary>
public enum LinkKind
{
    /// <summary>Huawei Cache Coherence System: NPU to NPU inside a server (A2) or a super-node (A3).</summary>
    Hccs,

    /// <summary>RDMA over Converged Ethernet: one port per NPU (die) for traffic between servers.</summary>
    Roce,

    /// <summary>PCIe between a server's host memory and one of its NPUs.</summary>
    Pcie,
}
