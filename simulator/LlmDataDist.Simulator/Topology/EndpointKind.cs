namespace LlmDataDist.Simulator;

/// <summary>What a transfer endpoint is.</summary>
public enum EndpointKind
{
    /// <summary>An NPU's device memory.</summary>
    Npu,

    /// <summary>A server's host memory.</summary>
    Host,
}
