namespace LlmDataDist.Simulator.Backend;

/// <summary>
/// One side's record of a link (reference §6.2). Both sides hold one, pointing at each other through
/// <see cref="Mirror"/>; a record whose mirror the peer no longer holds is half-open (the peer finalized, crashed
/// or force-unlinked). The HX hixl backend links one-sided: the server holds no record.
/// </summary>
internal sealed class LinkRecord(SimulatedBackend peer, ulong peerClusterId, bool isClient, IReadOnlyList<string> localIps, IReadOnlyList<string> remoteIps)
{
    /// <summary>The instance at the other end.</summary>
    public SimulatedBackend Peer { get; } = peer;

    /// <summary>The key of this record: the peer's cluster id as this side knows it.</summary>
    public ulong PeerClusterId { get; } = peerClusterId;

    /// <summary>Whether this side called Link (the client); CE pulls only over a client record.</summary>
    public bool IsClient { get; } = isClient;

    /// <summary>The IPs this side used (CE unlink must name the same ones).</summary>
    public IReadOnlyList<string> LocalIps { get; } = localIps;

    /// <summary>The peer's IPs as named at link time.</summary>
    public IReadOnlyList<string> RemoteIps { get; } = remoteIps;

    /// <summary>The peer's record of this link, or null when the link is one-sided.</summary>
    public LinkRecord? Mirror { get; set; }

    /// <summary>The status every transfer returns once a transfer timed out, until the link is unlinked (recommended sim, §6.2).</summary>
    public LlmStatus? Fault { get; set; }

    /// <summary>Transfers in flight over this record.</summary>
    public int Transfers { get; set; }

    /// <summary>Set on a server-side record from the arrival of the client's handshake until the client's Link ends: the
    /// link is not fully set up, and transfers over it answer NOT_YET_LINK (§6.2 Linking, §9.11 HX step 8).</summary>
    public bool SettingUp { get; set; }

    /// <summary>Set while an unlink of this record runs (CE: transfers then get LINK_BUSY; HX: the record is marked destroyed, NOT_YET_LINK).</summary>
    public bool Unlinking { get; set; }

    /// <summary>HX: the peer's cache ids as read at the first transfer over this link, never refreshed (§9.17).</summary>
    public HashSet<long>? Snapshot { get; set; }

    /// <summary>The link's lock (§10). CE: one lock for the link, shared by both sides' records (a link is one resource
    /// for both directions). HX: this side's per-link lock, serialising its pulls and pushes over the link.</summary>
    public required SimLock Lock { get; init; }

    /// <summary>Whether its owner's link table holds this record (kept by the table). A record is only ever stored in
    /// its owner's table, under its peer's id, so this is <c>owner.Holds(record)</c> without a lookup.</summary>
    public bool IsHeld { get; set; }

    /// <summary>Whether the peer still holds the other side (one-sided links: whether the peer still listens). Read by
    /// every transfer several times, hence the flag rather than a lookup in the peer's table.</summary>
    public bool IsHalfOpen => Mirror is null ? !Peer.IsInitialized : !Mirror.IsHeld;
}
