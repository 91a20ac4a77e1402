namespace LlmDataDist.Simulator;

/// <summary>Which control-plane exchange a <see cref="ControlPlaneErrorFault"/> breaks.</summary>
public enum ControlMessageKind
{
    /// <summary>The link handshake (the client's request to the server's listener).</summary>
    Handshake,

    /// <summary>A non-force unlink's notice to the peer.</summary>
    UnlinkNotice,
}

/// <summary>The control-plane connection from <paramref name="ClusterId"/> to <paramref name="RemoteClusterId"/> (any
/// remote when null) fails with an error, instead of timing out, for exchanges of kind <paramref name="Message"/>
/// started during <c>[FromNs, UntilNs)</c>. The error arrives after one control-message time. Statuses: a handshake →
/// <c>LLM_LINK_FAILED</c> for that cluster (no record on either side); an unlink notice → CE
/// <c>LLM_NOTIFY_PROMPT_UNLINK_FAILED</c> (local record removed, the peer keeps its record), HX <c>LLM_UNLINK_FAILED</c>
/// (both records kept).</summary>
/// <param name="ClusterId">The cluster whose connection fails.</param>
/// <param name="RemoteClusterId">The peer, or null for any.</param>
/// <param name="Message">Which exchange fails.</param>
/// <param name="FromNs">Window start.</param>
/// <param name="UntilNs">Window end (exclusive).</param>
public sealed record ControlPlaneErrorFault(ulong ClusterId, ulong? RemoteClusterId, ControlMessageKind Message, long FromNs = 0, long UntilNs = long.MaxValue) : ScheduledFault;
