namespace LlmDataDist.Simulator;

/// <summary>Closing the connection fails when <paramref name="ClusterId"/> unlinks during <c>[FromNs, UntilNs)</c>
/// (force or not). The local record was already deleted before the close (reference §6.4, CE test
/// <c>test_force_unlink_fail</c>); a non-force unlink has already told the peer. Status: that cluster
/// <c>LLM_UNLINK_FAILED</c>, and the call <c>LLM_UNLINK_FAILED</c>, on both engines.</summary>
/// <param name="ClusterId">The unlinking cluster.</param>
/// <param name="FromNs">Window start.</param>
/// <param name="UntilNs">Window end (exclusive).</param>
public sealed record UnlinkCloseFailureFault(ulong ClusterId, long FromNs = 0, long UntilNs = long.MaxValue) : ScheduledFault;
