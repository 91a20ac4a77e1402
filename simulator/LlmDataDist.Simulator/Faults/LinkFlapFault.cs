namespace LlmDataDist.Simulator;

/// <summary>Links flap from <paramref name="FromNs"/> to <paramref name="UntilNs"/>: down for the first half of each
/// <paramref name="PeriodNs"/>, up for the second; up after <paramref name="UntilNs"/>.</summary>
/// <param name="Link">Link pattern.</param>
/// <param name="FromNs">Start of flapping.</param>
/// <param name="UntilNs">End of flapping.</param>
/// <param name="PeriodNs">Period, at least 2 ns.</param>
public sealed record LinkFlapFault(string Link, long FromNs, long UntilNs, long PeriodNs) : ScheduledFault;
