namespace LlmDataDist.Simulator;

/// <summary>One NPU (an Ascend 910B, or one die of a 910C).</summary>
/// <param name="Id">Global index in <see cref="Topology.Npus"/>.</param>
/// <param name="ServerIndex">The server it sits in.</param>
/// <param name="DeviceId">Device id inside its server (0-based), as the runtime numbers devices.</param>
/// <param name="HbmBytes">Device memory capacity.</param>
public sealed record NpuInfo(int Id, int ServerIndex, int DeviceId, long HbmBytes)
{
    /// <inheritdoc/>
    public override string ToString() => $"npu{Id}";
}
