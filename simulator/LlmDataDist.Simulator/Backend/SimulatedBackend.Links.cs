using System.Globalization;
using System.Runtime.CompilerServices;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Backend;

// LinkLlmClusters / UnlinkLlmClusters (§6, §9.6–9.7) for both engines.
public sealed partial class SimulatedBackend
{
    /// <summary>CE: clusters per Link/Unlink call.</summary>
    public const int ClustersPerCallMax = 16;

    /// <summary>CE: links an instance may initiate.</summary>
    public const int InitiatedLinksMax = 512;

    // Keyed by the peer's cluster id as this side knows it; sorted so every walk has one order.
    private readonly SortedTable<ulong, LinkRecord> _links = new(static (record, held) => record.IsHeld = held);
    private bool _linkOperationRunning;
    private bool _hasCommDescription;

    private bool HasLinks => _links.Count > 0;

    /// <summary>The peers this instance holds a link record for, by the id it knows them under.</summary>
    public IReadOnlyCollection<ulong> LinkedClusterIds => _links.Keys;

    internal bool Holds(LinkRecord record) => _links.TryGetValue(record.PeerClusterId, out var held) && ReferenceEquals(held, record);

    /// <summary>Finalize and crashes drop every local record without telling the peers, who become half-open.</summary>
    private void DropAllLinks() => _links.Clear();

    private LlmStatus TimeoutStatus => Profile == EngineProfile.CE ? LlmStatus.WaitProcTimeout : LlmStatus.Timeout;

    /// <inheritdoc />
    public async ValueTask<LinkLlmClustersResult> LinkLlmClustersAsync(IReadOnlyList<ClusterInfo> clusters, int timeoutInMillis, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clusters);
        Enter();
        var start = _fabric.Loop.NowNs;
        var rets = new List<LlmStatus>();
        var status = await LinkAsync(clusters, rets, timeoutInMillis, cancellationToken).ConfigureAwait(false);
        _fabric.TraceCall(this, start, "LinkLlmClusters", status, ("clusters", Ids(clusters)), ("rets", string.Join(',', rets)));
        return new LinkLlmClustersResult(status, rets);
    }

    private async Task<LlmStatus> LinkAsync(IReadOnlyList<ClusterInfo> clusters, List<LlmStatus> rets, int timeoutMs, CancellationToken cancellationToken)
    {
        var pre = CommonLinkChecks(clusters, timeoutMs);
        if (pre != LlmStatus.Success)
        {
            return pre;
        }

        if (Profile == EngineProfile.CE && Role != LlmRole.Decoder)
        {
            return Why(LlmStatus.ParamInvalid, $"CE links only from a Decoder; this instance is a {Role}");
        }

        if (Profile == EngineProfile.HX && clusters.Count == 0)
        {
            return Why(LlmStatus.ParamInvalid, "clusters is empty");
        }

        var me = _incarnation;
        if (Profile == EngineProfile.CE)
        {
            var ce = await CeLinkOperationChecksAsync(me, clusters, timeoutMs, cancellationToken).ConfigureAwait(false);
            if (ce != LlmStatus.Success)
            {
                return ce;
            }
        }

        var reasons = new List<string?>();
        _linkOperationRunning = true;
        try
        {
            var deadline = SimTime.AddSaturating(_fabric.Loop.NowNs, timeoutMs * SimTime.NsPerMs);
            if (Profile == EngineProfile.CE && DevicesSilent())
            {
                return await HostWaitTimesOutAsync(me, clusters.Count, rets, deadline, timeoutMs, cancellationToken).ConfigureAwait(false);
            }

            var plans = PlanLinks(clusters);
            // Handshakes run concurrently in virtual time (CE's device function and HX's worker threads both
            // overlap them); results are committed in input order.
            var handshakes = plans.Select(p => p.Status == LlmStatus.Success ? HandshakeAsync(me, p, deadline, cancellationToken)
                : p.FreshServerRecord ? StaleClientRequestAsync(me, p, deadline, cancellationToken)
                : Task.FromResult(p)).ToList();
            foreach (var done in handshakes)
            {
                var plan = await done.ConfigureAwait(false);
                rets.Add(plan.Status);
                reasons.Add(plan.Reason);
            }
        }
        finally
        {
            _linkOperationRunning = false;
        }

        if (Ended(me))
        {
            return Why(LlmStatus.Failed, EndedReason); // finalized, disposed or crashed during the call: no record was kept on this side
        }

        if (Profile == EngineProfile.CE)
        {
            // Doc≠code: SUCCESS unless a cluster failed to link; ALREADY_LINK / REPEAT_REQUEST / PARAM_INVALID do not count.
            return rets.Any(r => r is LlmStatus.LinkFailed or LlmStatus.WaitProcTimeout or LlmStatus.NotifyPromptUnlinkFailed)
                ? Why(LlmStatus.LinkFailed, "clusters " + string.Join(", ", clusters.Zip(rets).Where(p => p.Second is LlmStatus.LinkFailed or LlmStatus.WaitProcTimeout or LlmStatus.NotifyPromptUnlinkFailed)
                    .Select(p => $"{p.First.RemoteClusterId} ({p.Second} at {string.Join(", ", p.First.RemoteIpInfos.Select(i => $"{i.Ip}:{i.Port}"))})")) + " did not link and were rolled back"
                    + ClusterReasons(clusters, rets, reasons, timeoutMs))
                : LlmStatus.Success;
        }

        return WhyLastFailingCluster(clusters, rets, reasons, timeoutMs);
    }

    /// <summary>CE: the device never answered the link or unlink request: the host waits the call's timeout, then every
    /// cluster and the call are WAIT_PROC_TIMEOUT (§6.3, §6.4) and no record changes.</summary>
    private async Task<LlmStatus> HostWaitTimesOutAsync(long me, int clusters, List<LlmStatus> rets, long deadlineNs, int timeoutMs, CancellationToken cancellationToken)
    {
        TraceFault("DeviceUnresponsive", "link request");
        await DelayUntilAsync(deadlineNs, cancellationToken).ConfigureAwait(false);
        if (Ended(me))
        {
            return Why(LlmStatus.Failed, EndedReason);
        }

        rets.AddRange(Enumerable.Repeat(LlmStatus.WaitProcTimeout, clusters));
        return Why(LlmStatus.WaitProcTimeout, $"the device of instance {ClusterId} did not answer the request within {timeoutMs} ms");
    }

    /// <summary>Checks both engines run first, leaving the status list untouched: initialized, timeout, every IP.</summary>
    private LlmStatus CommonLinkChecks(IReadOnlyList<ClusterInfo> clusters, int timeoutMs)
    {
        if (!IsInitialized)
        {
            return Why(LlmStatus.Failed, $"instance {ClusterId} is not initialized");
        }

        if (timeoutMs <= 0)
        {
            return Why(LlmStatus.ParamInvalid, $"timeout {timeoutMs} ms must be positive");
        }

        foreach (var cluster in clusters)
        {
            if (!cluster.RemoteIpInfos.All(i => IpText.IsIpv4(i.Ip)) || !cluster.LocalIpInfos.All(i => IpText.IsIpv4(i.Ip)))
            {
                return Why(LlmStatus.ParamInvalid, $"cluster {cluster.RemoteClusterId} has an IP that is not dotted IPv4");
            }
        }

        return LlmStatus.Success;
    }

    /// <summary>CE's per-instance serialisation and structural checks shared by Link and Unlink (§6.3 steps 5–7).</summary>
    private async Task<LlmStatus> CeLinkOperationChecksAsync(long me, IReadOnlyList<ClusterInfo> clusters, int timeoutMs, CancellationToken cancellationToken)
    {
        if (_linkOperationRunning)
        {
            // The engine waits timeout_in_millis *micro*seconds for the other operation (a unit slip kept as is).
            await _fabric.Loop.Delay(timeoutMs * SimTime.NsPerUs, cancellationToken).ConfigureAwait(false);
            if (Ended(me))
            {
                return Why(LlmStatus.Failed, EndedReason);
            }

            if (_linkOperationRunning)
            {
                return Why(LlmStatus.ProcessingLink, $"another link or unlink is running on instance {ClusterId}");
            }
        }

        if (clusters.Count == 0)
        {
            return Why(LlmStatus.ParamInvalid, "clusters is empty");
        }

        var firstLocal = clusters[0].LocalIpInfos.Select(i => i.Ip).ToList();
        foreach (var cluster in clusters)
        {
            if (cluster.LocalIpInfos.Count == 0 || cluster.RemoteIpInfos.Count == 0 || cluster.LocalIpInfos.Count != cluster.RemoteIpInfos.Count
                || cluster.LocalIpInfos.Count != _npus.Count || !cluster.LocalIpInfos.Select(i => i.Ip).SequenceEqual(firstLocal))
            {
                return Why(LlmStatus.ParamInvalid, cluster.LocalIpInfos.Count == 0 || cluster.RemoteIpInfos.Count == 0
                    ? $"cluster {cluster.RemoteClusterId} needs LocalIpInfos and RemoteIpInfos, one per device ({_npus.Count})"
                    : cluster.LocalIpInfos.Count != cluster.RemoteIpInfos.Count || cluster.LocalIpInfos.Count != _npus.Count
                        ? $"cluster {cluster.RemoteClusterId} has {cluster.LocalIpInfos.Count} local and {cluster.RemoteIpInfos.Count} remote IPs; CE needs one each per device ({_npus.Count})"
                        : $"cluster {cluster.RemoteClusterId} has other LocalIpInfos than cluster {clusters[0].RemoteClusterId}; CE needs the same in one call");
            }
        }

        return clusters.Count > ClustersPerCallMax
            ? Why(LlmStatus.ClusterNumExceedLimit, $"{clusters.Count} clusters > {ClustersPerCallMax} per call")
            : LlmStatus.Success;
    }

    private sealed record LinkPlan(ClusterInfo Cluster, LlmStatus Status, SimulatedBackend? Server, ulong Key)
    {
        /// <summary>Why this cluster did not link, with the values involved; null when it did.</summary>
        public string? Reason { get; init; }

        /// <summary>This cluster's outcome and why.</summary>
        public LinkPlan Failing(LlmStatus status, string reason) => this with { Status = status, Reason = reason };

        /// <summary>HX: the client answers ALREADY_LINK, but the server still builds a record for it (§6.5).</summary>
        public bool FreshServerRecord { get; init; }
    }

    /// <summary>The per-cluster checks that need no time, in input order.</summary>
    private List<LinkPlan> PlanLinks(IReadOnlyList<ClusterInfo> clusters)
    {
        var plans = new List<LinkPlan>();
        var seen = new HashSet<ulong>();
        var initiated = _links.Values.Count(l => l.IsClient);
        var overLimit = Profile == EngineProfile.CE && clusters.Count + initiated > InitiatedLinksMax;
        foreach (var cluster in clusters)
        {
            LinkPlan Plan(LlmStatus status, SimulatedBackend? server = null, ulong key = 0, string? reason = null) => new(cluster, status, server, key) { Reason = reason };
            if (Profile == EngineProfile.CE)
            {
                if (_links.ContainsKey(cluster.RemoteClusterId))
                {
                    plans.Add(Plan(LlmStatus.AlreadyLink, reason: $"instance {ClusterId} already links cluster {cluster.RemoteClusterId}"));
                }
                else if (!seen.Add(cluster.RemoteClusterId))
                {
                    plans.Add(Plan(LlmStatus.RepeatRequest, reason: $"cluster {cluster.RemoteClusterId} is named twice"));
                }
                else if (overLimit)
                {
                    plans.Add(Plan(LlmStatus.ParamInvalid, reason: $"{clusters.Count} new + {initiated} initiated links > {InitiatedLinksMax}"));
                }
                else
                {
                    var server = _fabric.ListenerAt(EndpointText(cluster.RemoteIpInfos[0]));
                    plans.Add(server is null || !server.IsInitialized ? Plan(LlmStatus.LinkFailed, reason: $"no initialized listener at {EndpointText(cluster.RemoteIpInfos[0])}") : Plan(LlmStatus.Success, server, cluster.RemoteClusterId));
                }

                continue;
            }

            if (cluster.RemoteIpInfos.Count != 1 || (!_hasCommDescription && cluster.LocalIpInfos.Count != 1))
            {
                plans.Add(Plan(LlmStatus.ParamInvalid, reason: $"HX needs one RemoteIpInfo{(_hasCommDescription ? "" : " and one LocalIpInfo")}, got {cluster.RemoteIpInfos.Count} remote and {cluster.LocalIpInfos.Count} local"));
                continue;
            }

            var listener = _fabric.ListenerAt(EndpointText(cluster.RemoteIpInfos[0]));
            if (listener is null || !listener.IsInitialized)
            {
                plans.Add(Plan(LlmStatus.LinkFailed, reason: $"no initialized listener at {EndpointText(cluster.RemoteIpInfos[0])}"));
                continue;
            }

            // The comm backend keys the client's record by the id the server reports, the hixl backend by the caller's.
            var key = _options!.HixlBackend ? cluster.RemoteClusterId : listener.ClusterId;
            var namedTruly = cluster.RemoteClusterId == listener.ClusterId;
            var duplicate = !seen.Add(key);
            if (!duplicate && namedTruly && !_options.HixlBackend && _links.TryGetValue(key, out var mine) && mine.Mirror is { } theirs && !listener.Holds(theirs))
            {
                // §6.5: only the server dropped its record. The client's stale record answers ALREADY_LINK, yet the
                // request reaches the server, which builds a fresh record: a force-unlink + link from the client recovers.
                plans.Add(Plan(LlmStatus.AlreadyLink, listener, key, $"instance {ClusterId} holds a stale link to cluster {key}; force-unlink and link again") with { FreshServerRecord = true });
                continue;
            }

            if (duplicate || (_links.ContainsKey(key) && (namedTruly || _options.HixlBackend)))
            {
                plans.Add(Plan(LlmStatus.AlreadyLink, reason: duplicate ? $"cluster {cluster.RemoteClusterId} is named twice" : $"instance {ClusterId} already links cluster {key}"));
                continue;
            }

            plans.Add(Plan(LlmStatus.Success, listener, key));
        }

        return plans;
    }

    /// <summary>HX, the client holds a stale record the server dropped: the request still reaches the server, which
    /// builds a fresh record of this client; the client answers ALREADY_LINK. The fresh record pairs with no client-side
    /// communicator, so it stays half-open until the client's force-unlink + link replaces it.</summary>
    private async Task<LinkPlan> StaleClientRequestAsync(long me, LinkPlan plan, long deadlineNs, CancellationToken cancellationToken)
    {
        var server = plan.Server!;
        var request = await ControlMessageAsync(server, toPeer: true, deadlineNs, cancellationToken).ConfigureAwait(false);
        if (Ended(me))
        {
            return plan.Failing(LlmStatus.Failed, EndedReason);
        }

        if (request == TransferStatus.Completed && server.IsInitialized && server._hasCommDescription && !server._links.ContainsKey(ClusterId))
        {
            var never = new LinkRecord(server, plan.Key, isClient: true, [], []) { Lock = new SimLock(_fabric.Loop, "never built") };
            server._links[ClusterId] = new LinkRecord(this, ClusterId, isClient: false, server.LocalIpsFor(), plan.Cluster.LocalIpInfos.Select(i => i.Ip).ToList())
            {
                Lock = new SimLock(_fabric.Loop, $"cluster {server.ClusterId} link to {ClusterId}"),
                Mirror = never,
            };
        }

        return plan;
    }

    /// <summary>The handshake: a request to the server and its answer, then communicator set-up, all within the deadline.</summary>
    private async Task<LinkPlan> HandshakeAsync(long me, LinkPlan plan, long deadlineNs, CancellationToken cancellationToken)
    {
        var server = plan.Server!;
        var hixl = _options!.HixlBackend;
        // What the plan saw under this key (a record the HX comm backend rebuilds when named by a wrong id, or none).
        var heldAtPlan = _links.GetValueOrDefault(plan.Key);
        if (_fabric.Faults?.IsLinkEstablishmentFailing(ClusterId, plan.Cluster.RemoteClusterId, _fabric.Loop.NowNs) == true)
        {
            return plan.Failing(LlmStatus.LinkFailed, $"link establishment to cluster {plan.Cluster.RemoteClusterId} fails (fault plan)");
        }

        var connectionError = _fabric.Faults?.IsControlPlaneFailing(ClusterId, plan.Cluster.RemoteClusterId, ControlMessageKind.Handshake, _fabric.Loop.NowNs) == true;
        var request = await ControlMessageAsync(server, toPeer: true, deadlineNs, cancellationToken).ConfigureAwait(false);
        if (Ended(me))
        {
            return plan.Failing(LlmStatus.Failed, EndedReason);
        }

        if (request != TransferStatus.Completed)
        {
            return request == TransferStatus.TimedOut
                ? plan.Failing(TimeoutStatus, $"handshake request to cluster {server.ClusterId} not delivered before the call's deadline")
                : plan.Failing(LlmStatus.LinkFailed, $"handshake request to cluster {server.ClusterId} failed: {request}");
        }

        if (connectionError)
        {
            TraceFault("ControlPlaneError", "handshake");
            return plan.Failing(LlmStatus.LinkFailed, $"handshake connection to cluster {server.ClusterId} failed with an error (fault plan)"); // the connection failed with an error before the server acted
        }

        if (!server.IsInitialized)
        {
            return plan.Failing(LlmStatus.LinkFailed, $"cluster {server.ClusterId} went down while the handshake travelled"); // the server went down while the request travelled: connection reset
        }

        if (Profile == EngineProfile.HX && !server._hasCommDescription)
        {
            return plan.Failing(LlmStatus.LinkFailed, $"cluster {server.ClusterId} listens by SetRole only and cannot build its side"); // a listener started by SetRole cannot build its side
        }

        if (LinkedMeanwhile(plan.Key, heldAtPlan))
        {
            // Another Link call of this instance (HX runs calls concurrently) linked the same peer while this request
            // travelled: the server sees the pair linked and leaves the existing link untouched (§6.3 HX step 5).
            return plan.Failing(LlmStatus.AlreadyLink, $"instance {ClusterId} linked cluster {plan.Key} in another call while this handshake travelled");
        }

        // The server builds its side when the request arrives; a stale record of this client is replaced. Its mirror is
        // the client's record, held by the client only once the handshake completes: until then the server's record is
        // still being set up (transfers over it: NOT_YET_LINK), and if the handshake fails on CE, where the prompt keeps
        // it, it is half-open.
        // CE: one lock for the link, shared by both records; HX: each side its own per-link lock (§10).
        var linkLock = new SimLock(_fabric.Loop, $"link {ClusterId}-{server.ClusterId}");
        var clientSide = new LinkRecord(server, plan.Key, isClient: true, plan.Cluster.LocalIpInfos.Select(i => i.Ip).ToList(),
            plan.Cluster.RemoteIpInfos.Select(i => i.Ip).ToList())
        {
            Lock = linkLock,
        };
        var serverSide = Profile == EngineProfile.HX && hixl
            ? null
            : new LinkRecord(this, ClusterId, isClient: false, server.LocalIpsFor(), plan.Cluster.LocalIpInfos.Select(i => i.Ip).ToList())
            {
                Lock = Profile == EngineProfile.CE ? linkLock : new SimLock(_fabric.Loop, $"cluster {server.ClusterId} link to {ClusterId}"),
                Mirror = clientSide,
                SettingUp = true,
            };
        clientSide.Mirror = serverSide;
        if (serverSide is not null)
        {
            server._links[ClusterId] = serverSide;
        }

        try
        {
            var answer = await ControlMessageAsync(server, toPeer: false, deadlineNs, cancellationToken).ConfigureAwait(false);
            if (Ended(me))
            {
                return plan.Failing(LlmStatus.Failed, EndedReason); // the server keeps its record: half-open, as after any crash
            }

            var setUp = SimTime.AddSaturating(_fabric.Loop.NowNs, _fabric.LinkSetupNs);
            if (answer != TransferStatus.Completed || setUp > deadlineNs)
            {
                await DelayUntilAsync(Math.Min(setUp, deadlineNs), cancellationToken).ConfigureAwait(false);
                // CE: the handshake was sent but not completed in time: rolling back cannot reach the prompt, which keeps its record.
                // HX: a failed cluster leaves no record on either side (§6.3 HX step 6, "Simulator: leave no record").
                if (Profile == EngineProfile.HX && serverSide is not null && server.Holds(serverSide))
                {
                    server._links.Remove(ClusterId);
                }

                return plan.Failing(Profile == EngineProfile.CE ? LlmStatus.NotifyPromptUnlinkFailed : TimeoutStatus,
                    $"handshake with cluster {server.ClusterId} not completed before the call's deadline (answer {answer})"
                    + (Profile == EngineProfile.CE ? "; the prompt keeps its record" : ""));
            }

            await DelayUntilAsync(setUp, cancellationToken).ConfigureAwait(false);
            if (Ended(me))
            {
                return plan.Failing(LlmStatus.Failed, EndedReason);
            }

            if (serverSide is null ? !server.IsInitialized : !server.Holds(serverSide))
            {
                // The server finalized, crashed or dropped the new record during set-up: the communicator cannot form.
                return plan.Failing(LlmStatus.LinkFailed, $"cluster {server.ClusterId} went down or dropped its record during set-up");
            }

            if (LinkedMeanwhile(plan.Key, heldAtPlan))
            {
                // A concurrent Link call of this instance linked the peer during set-up (the hixl backend's one-sided links
                // have no server record that would have shown it): the first link stands.
                return plan.Failing(LlmStatus.AlreadyLink, $"instance {ClusterId} linked cluster {plan.Key} in another call during this one's set-up");
            }

            _links[plan.Key] = clientSide;
            _hasCommDescription = true;
            return plan;
        }
        finally
        {
            if (serverSide is not null)
            {
                serverSide.SettingUp = false;
            }
        }
    }

    /// <summary>Whether this side holds another record under <paramref name="key"/> than it did when the Link call planned
    /// (a concurrent Link call of this instance made it).</summary>
    private bool LinkedMeanwhile(ulong key, LinkRecord? heldAtPlan) =>
        _links.TryGetValue(key, out var now) && !ReferenceEquals(now, heldAtPlan);

    /// <inheritdoc />
    public async ValueTask<UnlinkLlmClustersResult> UnlinkLlmClustersAsync(IReadOnlyList<ClusterInfo> clusters, int timeoutInMillis, bool forceFlag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clusters);
        Enter();
        var start = _fabric.Loop.NowNs;
        var rets = new List<LlmStatus>();
        var status = await UnlinkAsync(clusters, rets, timeoutInMillis, forceFlag, cancellationToken).ConfigureAwait(false);
        _fabric.TraceCall(this, start, "UnlinkLlmClusters", status, ("clusters", Ids(clusters)), ("force", forceFlag ? "1" : "0"), ("rets", string.Join(',', rets)));
        return new UnlinkLlmClustersResult(status, rets);
    }

    private async Task<LlmStatus> UnlinkAsync(IReadOnlyList<ClusterInfo> clusters, List<LlmStatus> rets, int timeoutMs, bool force, CancellationToken cancellationToken)
    {
        var pre = CommonLinkChecks(clusters, timeoutMs);
        if (pre != LlmStatus.Success)
        {
            return pre;
        }

        var me = _incarnation;
        if (Profile == EngineProfile.CE)
        {
            var ce = await CeLinkOperationChecksAsync(me, clusters, timeoutMs, cancellationToken).ConfigureAwait(false);
            if (ce != LlmStatus.Success)
            {
                return ce;
            }
        }
        else if (clusters.Count == 0)
        {
            return Why(LlmStatus.ParamInvalid, "clusters is empty");
        }

        var reasons = new List<string?>();

        _linkOperationRunning = true;
        try
        {
            var deadline = SimTime.AddSaturating(_fabric.Loop.NowNs, timeoutMs * SimTime.NsPerMs);
            if (Profile == EngineProfile.CE && DevicesSilent())
            {
                return await HostWaitTimesOutAsync(me, clusters.Count, rets, deadline, timeoutMs, cancellationToken).ConfigureAwait(false);
            }

            var seen = new HashSet<ulong>();
            var linkedAtStart = new Dictionary<ulong, LinkRecord>(_links);
            foreach (var cluster in clusters)
            {
                var reason = new StrongBox<string?>();
                ClusterReason.Value = reason;
                var ret = Ended(me) ? LlmStatus.Failed
                    : Profile == EngineProfile.CE
                    ? await CeUnlinkOneAsync(cluster, force, seen, linkedAtStart, deadline, cancellationToken).ConfigureAwait(false)
                    : await HxUnlinkOneAsync(cluster, force, deadline, cancellationToken).ConfigureAwait(false);
                rets.Add(Ended(me) ? LlmStatus.Failed : ret);
                reasons.Add(Ended(me) ? EndedReason : reason.Value);
            }

            ClusterReason.Value = null;
        }
        finally
        {
            _linkOperationRunning = false;
        }

        if (Ended(me))
        {
            return Why(LlmStatus.Failed, EndedReason); // finalized, disposed or crashed during the call: its records are gone anyway
        }

        if (Profile == EngineProfile.CE)
        {
            return rets.All(r => r is LlmStatus.Success or LlmStatus.NotYetLink)
                ? LlmStatus.Success
                : Why(LlmStatus.UnlinkFailed, "clusters " + string.Join(", ", clusters.Zip(rets).Where(p => p.Second is not (LlmStatus.Success or LlmStatus.NotYetLink))
                    .Select(p => $"{p.First.RemoteClusterId} ({p.Second})")) + " did not unlink" + ClusterReasons(clusters, rets, reasons, timeoutMs));
        }

        return WhyLastFailingCluster(clusters, rets, reasons, timeoutMs);
    }

    private async Task<LlmStatus> CeUnlinkOneAsync(ClusterInfo cluster, bool force, HashSet<ulong> seen, IReadOnlyDictionary<ulong, LinkRecord> linkedAtStart, long deadlineNs, CancellationToken cancellationToken)
    {
        // §6.4 per-cluster order: unknown → NOT_YET_LINK, IPs differ → PARAM_INVALID (client), in use → LINK_BUSY,
        // duplicate → REPEAT_REQUEST. The request is judged as a whole against the records held when the call
        // started, so a linked cluster named twice unlinks once and then repeats, while an unknown one is unknown twice.
        var first = seen.Add(cluster.RemoteClusterId);
        var atStart = linkedAtStart.GetValueOrDefault(cluster.RemoteClusterId);
        // A Decoder unlinks as client; a Prompt tears down its server side (force ignored). Mix: whichever side it holds.
        var asClient = Role == LlmRole.Decoder || (Role == LlmRole.Mix && atStart?.IsClient == true);
        // The server side identifies its client by IP and id.
        if (atStart is null || atStart.IsClient != asClient || (!asClient && cluster.RemoteIpInfos[0].Ip != atStart.RemoteIps[0]))
        {
            return ForCluster(LlmStatus.NotYetLink, $"instance {ClusterId} has no {(asClient ? "client" : "server")} link to cluster {cluster.RemoteClusterId}{(!asClient && atStart is not null ? $" from {cluster.RemoteIpInfos[0].Ip}" : "")}");
        }

        if (asClient && (!cluster.RemoteIpInfos.Select(i => i.Ip).SequenceEqual(atStart.RemoteIps) || !cluster.LocalIpInfos.Select(i => i.Ip).SequenceEqual(atStart.LocalIps)))
        {
            return ForCluster(LlmStatus.ParamInvalid, $"cluster {cluster.RemoteClusterId} is named with other IPs than it was linked with");
        }

        if (atStart.Transfers > 0 || atStart.Lock.IsHeld)
        {
            return ForCluster(LlmStatus.LinkBusy, $"the link to cluster {cluster.RemoteClusterId} has {atStart.Transfers} transfer(s) running or its lock held"); // a transfer of either side holds the link (one resource for both directions)
        }

        if (!first)
        {
            return ForCluster(LlmStatus.RepeatRequest, $"cluster {cluster.RemoteClusterId} is named twice");
        }

        var record = atStart;
        if (!Holds(record))
        {
            return ForCluster(LlmStatus.NotYetLink, $"the link to cluster {cluster.RemoteClusterId} was dropped during the call"); // dropped since the call started
        }

        if (!asClient || force)
        {
            _links.Remove(cluster.RemoteClusterId);
            return Closed(LlmStatus.Success);
        }

        if (record.IsHalfOpen)
        {
            _links.Remove(cluster.RemoteClusterId);
            return ForCluster(LlmStatus.NotifyPromptUnlinkFailed, $"cluster {cluster.RemoteClusterId} already dropped its side (half-open); the prompt must unlink itself"); // the local side is gone; the prompt must unlink itself
        }

        // The record stays visible, marked, while the prompt is notified: a transfer starting meanwhile gets
        // LINK_BUSY, not NOT_YET_LINK (§10, transfer vs unlink of the same link). It is removed whatever the
        // notification's outcome (§6.4: the local record is removed on NOTIFY_PROMPT_UNLINK_FAILED and on timeout).
        record.Unlinking = true;
        try
        {
            var noticeError = NoticeFails(cluster.RemoteClusterId);
            var notice = await ControlMessageAsync(record.Peer, toPeer: true, deadlineNs, cancellationToken).ConfigureAwait(false);
            if (notice == TransferStatus.Completed && noticeError)
            {
                return ForCluster(LlmStatus.NotifyPromptUnlinkFailed, $"the unlink notice to cluster {cluster.RemoteClusterId} failed with an error (fault plan); the prompt keeps its record"); // the notice failed with an error: the prompt keeps its record
            }

            if (notice == TransferStatus.Completed)
            {
                record.Peer.RemoveMirror(record);
                var ack = await ControlMessageAsync(record.Peer, toPeer: false, deadlineNs, cancellationToken).ConfigureAwait(false);
                return ack == TransferStatus.TimedOut
                    ? ForCluster(LlmStatus.WaitProcTimeout, $"cluster {cluster.RemoteClusterId} did not acknowledge the unlink before the call's deadline")
                    : Closed(LlmStatus.Success);
            }

            return notice == TransferStatus.TimedOut
                ? ForCluster(LlmStatus.WaitProcTimeout, $"the unlink notice to cluster {cluster.RemoteClusterId} was not delivered before the call's deadline")
                : ForCluster(LlmStatus.NotifyPromptUnlinkFailed, $"the unlink notice to cluster {cluster.RemoteClusterId} failed: {notice}");
        }
        finally
        {
            if (Holds(record))
            {
                _links.Remove(record.PeerClusterId);
            }
        }
    }

    private async Task<LlmStatus> HxUnlinkOneAsync(ClusterInfo cluster, bool force, long deadlineNs, CancellationToken cancellationToken)
    {
        var record = _links.GetValueOrDefault(cluster.RemoteClusterId);
        if (force || _options!.HixlBackend)
        {
            if (record is not null)
            {
                // Marked destroyed first: a transfer starting while the unlink waits is NOT_YET_LINK (§10).
                record.Unlinking = true;
                await WaitIdleAsync(record, cancellationToken).ConfigureAwait(false);
                RemoveIfHeld(record);
                return Closed(LlmStatus.Success);
            }

            return LlmStatus.Success;
        }

        if (cluster.RemoteIpInfos.Count != 1)
        {
            return ForCluster(LlmStatus.ParamInvalid, $"HX needs one RemoteIpInfo for cluster {cluster.RemoteClusterId}, got {cluster.RemoteIpInfos.Count}");
        }

        // A non-force unlink must reach the peer's listener; on failure the local record stays.
        var listener = _fabric.ListenerAt(EndpointText(cluster.RemoteIpInfos[0]));
        if (listener is null || !listener.IsInitialized)
        {
            return ForCluster(LlmStatus.UnlinkFailed, $"no initialized listener at {EndpointText(cluster.RemoteIpInfos[0])}");
        }

        var noticeError = NoticeFails(cluster.RemoteClusterId);
        var notice = await ControlMessageAsync(listener, toPeer: true, deadlineNs, cancellationToken).ConfigureAwait(false);
        if (notice != TransferStatus.Completed || noticeError)
        {
            return notice == TransferStatus.TimedOut
                ? ForCluster(LlmStatus.Timeout, $"the unlink notice to cluster {listener.ClusterId} was not delivered before the call's deadline")
                : ForCluster(LlmStatus.UnlinkFailed, $"the unlink notice to cluster {listener.ClusterId} failed{(noticeError ? " with an error (fault plan)" : $": {notice}")}"); // the local record stays
        }

        // The local record as it is now, not as it was before the notice travelled: another call may have unlinked or
        // relinked the peer meanwhile.
        record = _links.GetValueOrDefault(cluster.RemoteClusterId);
        if (record is not null)
        {
            record.Unlinking = true; // marked destroyed once the peer answered (§10); earlier failures keep it usable
            await WaitIdleAsync(record, cancellationToken).ConfigureAwait(false);
            RemoveIfHeld(record);
        }

        // The peer removes its record under this instance's real id: a wrong id above leaves ours half-open (§6.1).
        if (listener._links.TryGetValue(ClusterId, out var theirs) && theirs.Peer == this)
        {
            theirs.Unlinking = true;
            await listener.WaitIdleAsync(theirs, cancellationToken).ConfigureAwait(false);
            listener.RemoveIfHeld(theirs);
        }

        return record is null ? LlmStatus.Success : Closed(LlmStatus.Success);
    }

    /// <summary>Whether the fault plan fails this unlink notice with a connection error (traced when it does).</summary>
    private bool NoticeFails(ulong remoteClusterId)
    {
        var fails = _fabric.Faults?.IsControlPlaneFailing(ClusterId, remoteClusterId, ControlMessageKind.UnlinkNotice, _fabric.Loop.NowNs) == true;
        if (fails)
        {
            TraceFault("ControlPlaneError", "unlink notice");
        }

        return fails;
    }

    /// <summary>The local record is gone; closing its connection may still fail (§6.4: UNLINK_FAILED, record deleted).</summary>
    private LlmStatus Closed(LlmStatus status)
    {
        if (_fabric.Faults?.IsUnlinkCloseFailing(ClusterId, _fabric.Loop.NowNs) != true)
        {
            return status;
        }

        TraceFault("UnlinkCloseFailure", "close");
        return ForCluster(LlmStatus.UnlinkFailed, $"closing the connection failed on instance {ClusterId} (fault plan); the record is deleted");
    }

    /// <summary>Removes this record after an await, unless another call already removed it (and perhaps linked anew
    /// under the same key: that newer record stays).</summary>
    private void RemoveIfHeld(LinkRecord record)
    {
        if (Holds(record))
        {
            _links.Remove(record.PeerClusterId);
        }
    }

    private void RemoveMirror(LinkRecord record)
    {
        if (record.Mirror is { } mirror && Holds(mirror))
        {
            _links.Remove(mirror.PeerClusterId);
        }
    }

    /// <summary>HX: an unlink waits for the transfer holding the link.</summary>
    private async Task WaitIdleAsync(LinkRecord record, CancellationToken cancellationToken)
    {
        // Bounded by the transfers' own deadlines: each poll is one transfer-completion event away at most.
        while (record.Transfers > 0)
        {
            await _fabric.Loop.Delay(SimTime.NsPerUs, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One control message between this instance's device and the peer's, within the deadline.</summary>
    private async Task<TransferStatus> ControlMessageAsync(SimulatedBackend peer, bool toPeer, long deadlineNs, CancellationToken cancellationToken)
    {
        var (from, to) = toPeer ? (Npu, peer.Npu) : (peer.Npu, Npu);
        if (from is null || to is null)
        {
            return TransferStatus.Failed;
        }

        var outcome = await _fabric.TransferAsync(from.Value, to.Value, SimulatedFabric.ControlMessageBytes, 1, deadlineNs, cancellationToken).ConfigureAwait(false);
        if (outcome.Status == TransferStatus.Canceled)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        return outcome.Status;
    }

    private async Task DelayUntilAsync(long atNs, CancellationToken cancellationToken)
    {
        var wait = atNs - _fabric.Loop.NowNs;
        if (wait > 0)
        {
            await _fabric.Loop.Delay(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    private List<string> LocalIpsFor() => _listening.Select(e => e[..e.LastIndexOf(':')].Trim('[', ']')).ToList();

    private static string EndpointText(IpInfo info) => $"{info.Ip}:{info.Port.ToString(CultureInfo.InvariantCulture)}";

    private static string Ids(IReadOnlyList<ClusterInfo> clusters) => string.Join(',', clusters.Select(c => c.RemoteClusterId.ToString(CultureInfo.InvariantCulture)));
}
