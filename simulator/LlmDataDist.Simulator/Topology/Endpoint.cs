namespace LlmDataDist.Simulator;

/// <summary>A transfer endpoint: an NPU (by global id) or a server's host memory (by server index).</summary>
/// <param name="Kind">NPU or host.</param>
/// <param name="Index">NPU id or server index.</param>
public readonly record struct Endpoint(EndpointKind Kind, int Index)
{
    /// <summary>An NPU's device memory.</summary>
    /// <param name="npu">Global NPU id.</param>
    /// <returns>The endpoint.</returns>
    public static Endpoint Npu(int npu) => new(EndpointKind.Npu, npu);

    /// <summary>A server's host memory.</summary>
    /// <param name="server">Server index.</param>
    /// <returns>The endpoint.</returns>
    public static Endpoint Host(int server) => new(EndpointKind.Host, server);

    /// <inheritdoc/>
    public override string ToString() => Kind == EndpointKind.Npu ? $"npu{Index}" : $"host{Index}";
}
