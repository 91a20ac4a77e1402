namespace LlmDataDist.Simulator;

/// <summary>One directed port of one NPU: the unit of bandwidth sharing, of up/down state and of fault targeting.</summary>
/// <param name="Id">Index in <see cref="Topology.Links"/>.</param>
/// <param name="Name">Stable name such as <c>npu3.roce.tx</c>, used by fault plans and traces.</param>
/// <param name="Kind">Transport.</param>
/// <param name="Direction">Direction seen from the NPU.</param>
/// <param name="Npu">The NPU owning the port.</param>
/// <param name="Parameters">Timing.</param>
public sealed record LinkInfo(int Id, string Name, LinkKind Kind, LinkDirection Direction, int Npu, LinkParameters Parameters)
{
    /// <summary>Plateau bandwidth in bytes per second.</summary>
    public long BandwidthBytesPerSecond => Parameters.BandwidthBytesPerSecond;

    /// <summary>Fixed latency in ns.</summary>
    public long LatencyNs => Parameters.LatencyNs;

    /// <summary>Per-block cost in ns.</summary>
    public long PerBlockNs => Parameters.PerBlockNs;

    /// <summary>Canonical name of a port.</summary>
    /// <param name="npu">The NPU id.</param>
    /// <param name="kind">The transport.</param>
    /// <param name="direction">The direction.</param>
    /// <returns>The name, e.g. <c>npu3.hccs.rx</c> or <c>npu0.pcie.h2d</c>.</returns>
    public static string NameOf(int npu, LinkKind kind, LinkDirection direction) => (kind, direction) switch
    {
        (LinkKind.Hccs, LinkDirection.Out) => $"npu{npu}.hccs.tx",
        (LinkKind.Hccs, _) => $"npu{npu}.hccs.rx",
        (LinkKind.Roce, LinkDirection.Out) => $"npu{npu}.roce.tx",
        (LinkKind.Roce, _) => $"npu{npu}.roce.rx",
        (LinkKind.Pcie, LinkDirection.Out) => $"npu{npu}.pcie.d2h",
        _ => $"npu{npu}.pcie.h2d",
    };

    /// <inheritdoc/>
    public override string ToString() => Name;
}
