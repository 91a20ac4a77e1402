namespace LlmDataDist.Simulator;

/// <summary>Links go down at <paramref name="AtNs"/> and come back after <paramref name="ForNs"/>.</summary>
/// <param name="Link">Link pattern.</param>
/// <param name="AtNs">When they go down.</param>
/// <param name="ForNs">How long they stay down; <see cref="long.MaxValue"/> for ever.</param>
public sealed record LinkDownFault(string Link, long AtNs, long ForNs = long.MaxValue) : ScheduledFault;
