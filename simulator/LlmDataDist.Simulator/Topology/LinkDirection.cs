namespace LlmDataDist.Simulator;

/// <summary>Which way a port carries data, seen from its NPU. Ports are full duplex, so each direction is a separate
/// link with its own bandwidth.</summary>
public enum LinkDirection
{
    /// <summary>Data leaves the NPU (transmit; for PCIe, device to host).</summary>
    Out,

    /// <summary>Data enters the NPU (receive; for PCIe, host to device).</summary>
    In,
}
