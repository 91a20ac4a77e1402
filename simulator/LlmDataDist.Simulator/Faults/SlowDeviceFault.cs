namespace LlmDataDist.Simulator;

/// <summary>Transfers starting in <c>[FromNs, UntilNs)</c> to or from <paramref name="Npu"/> take
/// <paramref name="Factor"/> times as long: latency multiplied, rate cap divided.</summary>
/// <param name="Npu">NPU id.</param>
/// <param name="Factor">Slow-down, at least 1 (e.g. 3/1).</param>
/// <param name="FromNs">Window start.</param>
/// <param name="UntilNs">Window end (exclusive).</param>
public sealed record SlowDeviceFault(int Npu, Ratio Factor, long FromNs = 0, long UntilNs = long.MaxValue) : ScheduledFault;
