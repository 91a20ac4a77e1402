namespace LlmDataDist.Simulator;

/// <summary>Who an event belongs to, and where it goes in a Chrome trace: a process per server (pid = server + 1,
/// pid 0 for the world) and a thread per NPU, host memory or link.</summary>
/// <param name="Name">Actor name, e.g. <c>npu3</c>, <c>npu3.roce.tx</c>, <c>cluster 7</c>.</param>
/// <param name="ProcessId">Chrome pid.</param>
/// <param name="ThreadId">Chrome tid.</param>
public readonly record struct TraceActor(string Name, int ProcessId, int ThreadId)
{
    /// <summary>Thread ids of links start here, after NPUs and host memory.</summary>
    public const int LinkThreadIdBase = 1000;

    /// <summary>The simulator itself (faults, clusters without a device).</summary>
    public static TraceActor World { get; } = new("world", 0, 0);

    /// <summary>An NPU: its server's process, thread = device id + 1.</summary>
    /// <param name="npu">The NPU.</param>
    /// <returns>The actor.</returns>
    public static TraceActor Npu(NpuInfo npu)
    {
        ArgumentNullException.ThrowIfNull(npu);
        return new($"npu{npu.Id}", npu.ServerIndex + 1, npu.DeviceId + 1);
    }

    /// <summary>A server's host memory: its server's process, thread 0.</summary>
    /// <param name="server">Server index.</param>
    /// <returns>The actor.</returns>
    public static TraceActor Host(int server) => new($"host{server}", server + 1, 0);

    /// <summary>A link: the server process of its NPU, thread = <see cref="LinkThreadIdBase"/> + link id.</summary>
    /// <param name="link">The link.</param>
    /// <param name="topology">Where its NPU sits.</param>
    /// <returns>The actor.</returns>
    public static TraceActor Link(LinkInfo link, Topology topology)
    {
        ArgumentNullException.ThrowIfNull(link);
        ArgumentNullException.ThrowIfNull(topology);
        return new(link.Name, topology.Npus[link.Npu].ServerIndex + 1, LinkThreadIdBase + link.Id);
    }

    /// <summary>A transfer endpoint: an NPU or host memory.</summary>
    /// <param name="endpoint">The endpoint.</param>
    /// <param name="topology">Where it sits.</param>
    /// <returns>The actor.</returns>
    public static TraceActor Of(Endpoint endpoint, Topology topology)
    {
        ArgumentNullException.ThrowIfNull(topology);
        return endpoint.Kind == EndpointKind.Npu ? Npu(topology.Npus[endpoint.Index]) : Host(endpoint.Index);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
