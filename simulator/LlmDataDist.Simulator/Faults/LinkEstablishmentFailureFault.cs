namespace LlmDataDist.Simulator;

/// <summary>Link establishment from <paramref name="ClusterId"/> to <paramref name="RemoteClusterId"/> (any remote
/// when null) is refused during <c>[FromNs, UntilNs)</c>. The backend asks through
/// <see cref="FaultInjector.IsLinkEstablishmentFailing"/>.</summary>
/// <param name="ClusterId">Local cluster id.</param>
/// <param name="RemoteClusterId">Remote cluster id, or null for any.</param>
/// <param name="FromNs">Window start.</param>
/// <param name="UntilNs">Window end (exclusive).</param>
public sealed record LinkEstablishmentFailureFault(ulong ClusterId, ulong? RemoteClusterId, long FromNs = 0, long UntilNs = long.MaxValue) : ScheduledFault;
