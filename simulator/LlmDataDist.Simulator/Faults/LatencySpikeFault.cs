namespace LlmDataDist.Simulator;

/// <summary>Transfers starting in <c>[FromNs, UntilNs)</c> pay <paramref name="ExtraLatencyNs"/> more for each matched hop.</summary>
/// <param name="Link">Link pattern.</param>
/// <param name="FromNs">Window start.</param>
/// <param name="UntilNs">Window end (exclusive).</param>
/// <param name="ExtraLatencyNs">Extra latency per matched hop.</param>
public sealed record LatencySpikeFault(string Link, long FromNs, long UntilNs, long ExtraLatencyNs) : ScheduledFault;
