using System.Globalization;

namespace LlmDataDist.Simulator;

/// <summary>
/// The link model. A transfer over a route waits the route latency (plus seeded jitter and any fault spike), then
/// moves its bytes while holding a max-min fair share of every hop it crosses; its own cap is <c>S / D</c>, where
/// <c>D = ((n g)^p + (S / B)^p)^(1/p)</c> is its path's data-phase time (<see cref="PathTiming"/>), so alone it
/// takes exactly <c>L + D</c>. Shares are recomputed by progressive
/// filling whenever a transfer enters or leaves its data phase, and completions are rescheduled on the loop. All
/// arithmetic is integer: remaining work is kept in bytes x 10^9, so a rate in B/s times elapsed ns is exact.
/// </summary>
/// <remarks>
/// Down links: a transfer that starts over a down link, or whose link goes down in flight, is lost. It then ends
/// <see cref="TransferStatus.TimedOut"/> at its deadline, as the hardware's wait does (LLM-DataDist reports a timeout
/// for a transfer over a broken link), or <see cref="TransferStatus.Failed"/> at once when it has no deadline, so that
/// nothing hangs. A link coming back up does not revive lost transfers.
/// </remarks>
public sealed class Network
{
    private readonly SimLoop _loop;
    private readonly FaultInjector? _faults;
    private readonly Trace? _trace;
    private readonly SimRandom[] _jitter;
    private readonly bool _jitterEnabled;
    private readonly bool[] _manualDown;
    private readonly int[] _faultDown;
    private readonly TraceActor[] _linkActors;

    // Flows in their data phase, in id order (the order shares are computed in, so ties resolve identically).
    private readonly List<Flow> _active = [];

    // Every unfinished flow, by id, for link-down handling (which sorts them by id; a hash map, since every transfer
    // adds and removes one).
    private readonly Dictionary<long, Flow> _live = [];

    // Progressive-filling scratch, indexed by link id.
    private readonly long[] _capacityLeft;
    private readonly int[] _unfrozen;
    private readonly List<int> _touched = [];

    // Scratch of ComputeShares (flows freezing in one round), kept to spare an allocation per round.
    private readonly List<Flow> _freezing = [];

    // Flows in their data phase per link, and the scratch of Rebalance(Flow): the flows sharing links, transitively,
    // with a flow that entered or left its data phase, and a visit mark per link.
    private readonly List<Flow>?[] _flowsOnLink;
    private readonly List<Flow> _component = [];
    private readonly Stack<int> _linksToVisit = new();
    private readonly long[] _linkVisit;
    private long _visit;

    private long _lastAdvanceNs;
    private long _nextId;

    /// <summary>Creates the network of a topology.</summary>
    /// <param name="loop">The event loop.</param>
    /// <param name="topology">Links and their timing.</param>
    /// <param name="random">Forked once per link, in link order, for jitter.</param>
    /// <param name="faults">Drops, spikes, slow devices and link faults; null for none.</param>
    /// <param name="trace">Receives transfer and link events; null for none.</param>
    /// <param name="jitter">Whether to add the links' jitter to latencies.</param>
    public Network(SimLoop loop, Topology topology, SimRandom random, FaultInjector? faults = null, Trace? trace = null, bool jitter = true)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(random);
        _loop = loop;
        Topology = topology;
        _faults = faults;
        _trace = trace;
        _jitterEnabled = jitter;
        var links = topology.Links.Count;
        _jitter = new SimRandom[links];
        for (var i = 0; i < links; i++)
        {
            _jitter[i] = random.Fork(); // one stream per link: traffic on one link never shifts another's jitter
        }

        _manualDown = new bool[links];
        _faultDown = new int[links];
        _capacityLeft = new long[links];
        _unfrozen = new int[links];
        _flowsOnLink = new List<Flow>?[links];
        _linkVisit = new long[links];
        _linkActors = [.. topology.Links.Select(l => TraceActor.Link(l, topology))];
    }

    /// <summary>Raised on the loop when a link goes down (false) or comes back up (true).</summary>
    public event Action<LinkInfo, bool>? LinkStateChanged;

    /// <summary>The topology.</summary>
    public Topology Topology { get; }

    /// <summary>Transfers started so far.</summary>
    public long TransfersStarted { get; private set; }

    /// <summary>Transfers not finished yet (latency phase, data phase, or lost and waiting for their deadline).</summary>
    public int PendingTransferCount => _live.Count;

    /// <summary>Transfers currently moving bytes.</summary>
    public int ActiveTransferCount => _active.Count;

    /// <summary>Whether a link is up: not set down by hand and not held down by any fault.</summary>
    /// <param name="linkId">Link id.</param>
    /// <returns>Up or not.</returns>
    public bool IsLinkUp(int linkId) => !_manualDown[linkId] && _faultDown[linkId] == 0;

    /// <summary>Sets a link down or up by hand (independently of faults, which stack on top).</summary>
    /// <param name="linkId">Link id.</param>
    /// <param name="up">True for up.</param>
    /// <param name="cause">Recorded in the trace and in lost transfers' outcomes.</param>
    public void SetLinkUp(int linkId, bool up, string cause = "manual")
    {
        _loop.AssertOnLoopThread();
        var wasUp = IsLinkUp(linkId);
        _manualDown[linkId] = !up;
        OnLinkStateMaybeChanged(linkId, wasUp, cause);
    }

    /// <summary>Moves <paramref name="bytes"/> in <paramref name="blocks"/> blocks from one NPU to another over the
    /// default route (see <see cref="Topology.FindRoute(int, int, LinkKind?)"/>).</summary>
    /// <param name="sourceNpu">Source NPU id.</param>
    /// <param name="destinationNpu">Destination NPU id.</param>
    /// <param name="bytes">Bytes to move.</param>
    /// <param name="blocks">Blocks (descriptors); each costs the route's per-block time.</param>
    /// <param name="deadlineNs">Absolute virtual deadline, or <see cref="long.MaxValue"/> for none.</param>
    /// <param name="cancellationToken">Cancels the transfer (outcome <see cref="TransferStatus.Canceled"/>).</param>
    /// <returns>The outcome; the task never faults for a modeled failure.</returns>
    public Task<TransferOutcome> TransferAsync(int sourceNpu, int destinationNpu, long bytes, int blocks, long deadlineNs = long.MaxValue,
        CancellationToken cancellationToken = default) =>
        TransferAsync(Topology.FindRoute(sourceNpu, destinationNpu), bytes, blocks, deadlineNs, cancellationToken);

    /// <summary>Moves <paramref name="bytes"/> in <paramref name="blocks"/> blocks over <paramref name="route"/>.</summary>
    /// <param name="route">The hops, from <see cref="Topology.FindRoute(Endpoint, Endpoint, LinkKind?)"/>.</param>
    /// <param name="bytes">Bytes to move.</param>
    /// <param name="blocks">Blocks (descriptors); each costs the route's per-block time.</param>
    /// <param name="deadlineNs">Absolute virtual deadline, or <see cref="long.MaxValue"/> for none. A transfer whose
    /// modeled completion is later ends <see cref="TransferStatus.TimedOut"/> exactly at the deadline.</param>
    /// <param name="cancellationToken">Cancels the transfer (outcome <see cref="TransferStatus.Canceled"/>).</param>
    /// <returns>The outcome; the task never faults for a modeled failure.</returns>
    public Task<TransferOutcome> TransferAsync(Route route, long bytes, int blocks, long deadlineNs = long.MaxValue,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ArgumentOutOfRangeException.ThrowIfNegative(blocks);
        _loop.AssertOnLoopThread();
        var now = _loop.NowNs;
        var id = ++_nextId;
        TransfersStarted++;
        var flow = new Flow(id, route, bytes, blocks, now, deadlineNs, _loop);
        var wait = flow.Wait;
        _live.Add(id, flow);

        if (cancellationToken.IsCancellationRequested)
        {
            Finish(flow, TransferStatus.Canceled, now, "canceled");
            return wait.Task;
        }

        // Registered first, so that a lost transfer waiting for its deadline can still be canceled.
        if (cancellationToken.CanBeCanceled)
        {
            // Through the queue: the token may be canceled from inside network bookkeeping, or by a virtual timer.
            flow.Registration = cancellationToken.UnsafeRegister(
                static state => { var (network, f) = ((Network, Flow))state!; network._loop.Post(_ => network.OnCanceled(f), null); },
                (this, flow));
        }

        _faults?.OnTransferStarting(route);
        foreach (var hop in route.HopSpan)
        {
            if (!IsLinkUp(hop.Id))
            {
                Lose(flow, $"link {hop.Name} down");
                return wait.Task;
            }
        }

        if (_faults is not null && _faults.ShouldDropTransfer())
        {
            Lose(flow, "dropped by the fault plan");
            return wait.Task;
        }

        // Latency phase: per-hop latency, jitter and spikes, scaled by the slower endpoint.
        long latencyNs = 0;
        foreach (var hop in route.HopSpan)
        {
            latencyNs += hop.LatencyNs + (_faults?.ExtraLatencyNs(hop, now) ?? 0)
                + (_jitterEnabled ? _jitter[hop.Id].ExponentialNs(hop.Parameters.JitterNsMean) : 0);
        }

        var slow = Slower(SlowFactor(route.Source, now), SlowFactor(route.Destination, now));
        latencyNs = slow.Scale(latencyNs);
        // The data phase alone (the path's D(n, S), slowed with its device) becomes a rate cap S / D: alone, the
        // transfer then takes exactly D; sharing a link, it gets the smaller of its cap and its max-min share, so a
        // transfer bound by its descriptors does not hold bandwidth it cannot use. Rounded up, so the cap never makes
        // the data phase longer than D; the floor below then makes it exactly D.
        var soloNs = route.Hops.Count == 0 ? 0 : slow.Scale(route.Timing.DataPhaseNs(bytes, blocks));
        if (soloNs > 0 && bytes > 0)
        {
            flow.CapBytesPerSecond = (long)Int128.Min(long.MaxValue, (((Int128)bytes * SimTime.NsPerSecond) + soloNs - 1) / soloNs);
        }

        flow.FloorNs = SimTime.AddSaturating(now, SimTime.AddSaturating(latencyNs, soloNs));
        if (deadlineNs <= now)
        {
            Finish(flow, TransferStatus.TimedOut, now, "deadline");
            return wait.Task;
        }

        if (deadlineNs != long.MaxValue)
        {
            flow.Deadline = _loop.Schedule(deadlineNs, () => OnDeadline(flow));
        }

        flow.DataStart = _loop.Schedule(SimTime.AddSaturating(now, latencyNs), () => OnDataStart(flow));
        return wait.Task;
    }

    internal void SetFaultDown(LinkInfo link, bool down, string cause)
    {
        var wasUp = IsLinkUp(link.Id);
        _faultDown[link.Id] = Math.Max(0, _faultDown[link.Id] + (down ? 1 : -1)); // overlapping faults stack
        OnLinkStateMaybeChanged(link.Id, wasUp, cause);
    }

    private static Ratio Slower(Ratio a, Ratio b) => (UInt128)a.Num * b.Den >= (UInt128)b.Num * a.Den ? a : b;

    private Ratio SlowFactor(Endpoint endpoint, long now) =>
        endpoint.Kind == EndpointKind.Npu && _faults is not null ? _faults.SlowFactor(endpoint.Index, now) : Ratio.One;

    private void OnLinkStateMaybeChanged(int linkId, bool wasUp, string cause)
    {
        var isUp = IsLinkUp(linkId);
        if (wasUp == isUp)
        {
            return;
        }

        var link = Topology.Links[linkId];
        _trace?.Instant(_loop.NowNs, "link", isUp ? "LinkUp" : "LinkDown", _linkActors[linkId], ("cause", cause));
        if (!isUp)
        {
            AdvanceAll();
            foreach (var flow in _live.Values.Where(f => f.BrokenCause is null && f.Crosses(linkId)).OrderBy(f => f.Id).ToList())
            {
                Lose(flow, $"link {link.Name} down");
            }

            Rebalance();
        }

        LinkStateChanged?.Invoke(link, isUp);
    }

    private void OnDataStart(Flow flow)
    {
        flow.DataStart = null;
        if (flow.Bytes == 0 || flow.Route.Hops.Count == 0)
        {
            // Nothing to share: only the per-block floor remains. A same-device route costs no link time.
            AwaitFloorOrComplete(flow);
            return;
        }

        AdvanceAll();
        flow.InDataPhase = true;
        flow.RemainingScaled = (Int128)flow.Bytes * SimTime.NsPerSecond;
        flow.RateBytesPerSecond = 0;
        _active.Add(flow); // ids grow, so appending keeps id order
        foreach (var hop in flow.Route.HopSpan)
        {
            (_flowsOnLink[hop.Id] ??= []).Add(flow);
        }

        Rebalance(flow);
    }

    private void OnCompletion(Flow flow)
    {
        flow.Completion = null;
        if (flow.InDataPhase)
        {
            AdvanceAll();
            if (flow.RemainingScaled > 0)
            {
                Reschedule(flow); // only reachable through rounding; keeps the invariant "done means no bytes left"
                return;
            }

            LeaveDataPhase(flow);
            Rebalance(flow);
        }

        AwaitFloorOrComplete(flow);
    }

    private void AwaitFloorOrComplete(Flow flow)
    {
        if (_loop.NowNs < flow.FloorNs)
        {
            flow.Completion = _loop.Schedule(flow.FloorNs, flow.OnCompletion ??= () => OnCompletion(flow));
            return;
        }

        Finish(flow, TransferStatus.Completed, _loop.NowNs, null);
    }

    private void OnDeadline(Flow flow)
    {
        flow.Deadline = null;
        AdvanceAll();
        var now = _loop.NowNs;
        var dataDone = flow.DataStart is null && (!flow.InDataPhase || flow.RemainingScaled <= 0);
        if (flow.BrokenCause is null && dataDone && now >= flow.FloorNs)
        {
            Finish(flow, TransferStatus.Completed, now, null); // completing exactly at the deadline is in time
            return;
        }

        Finish(flow, TransferStatus.TimedOut, now, flow.BrokenCause ?? "deadline");
    }

    private void OnCanceled(Flow flow)
    {
        if (!flow.Finished)
        {
            AdvanceAll();
            Finish(flow, TransferStatus.Canceled, _loop.NowNs, "canceled");
        }
    }

    // A lost transfer frees its bandwidth at once and then waits for its deadline (or fails at once without one).
    private void Lose(Flow flow, string cause)
    {
        flow.BrokenCause = cause;
        flow.DataStart?.Cancel();
        flow.DataStart = null;
        flow.Completion?.Cancel();
        flow.Completion = null;
        if (flow.InDataPhase)
        {
            LeaveDataPhase(flow);
            Rebalance(flow);
        }

        if (flow.DeadlineNs == long.MaxValue)
        {
            Finish(flow, TransferStatus.Failed, _loop.NowNs, cause);
        }
        else if (flow.DeadlineNs <= _loop.NowNs)
        {
            Finish(flow, TransferStatus.TimedOut, _loop.NowNs, cause);
        }
        else
        {
            flow.Deadline ??= _loop.Schedule(flow.DeadlineNs, () => OnDeadline(flow));
        }
    }

    private void Finish(Flow flow, TransferStatus status, long endNs, string? cause)
    {
        if (flow.Finished)
        {
            return;
        }

        flow.Finished = true;
        flow.DataStart?.Cancel();
        flow.Completion?.Cancel();
        flow.Deadline?.Cancel();
        flow.Registration.Unregister();
        if (flow.InDataPhase)
        {
            AdvanceAll();
            LeaveDataPhase(flow);
            Rebalance(flow);
        }

        _live.Remove(flow.Id);
        var outcome = new TransferOutcome(flow.Id, status, flow.StartNs, endNs, flow.Bytes, flow.Blocks, cause);
        _trace?.AddComplete(flow.StartNs, endNs, "transfer", "Transfer", TraceActor.Of(flow.Route.Source, Topology),
            ("blocks", flow.Blocks.ToString(CultureInfo.InvariantCulture)),
            ("bytes", flow.Bytes.ToString(CultureInfo.InvariantCulture)),
            ("cause", cause ?? "-"),
            ("dst", flow.Route.DestinationName),
            ("id", flow.Id.ToString(CultureInfo.InvariantCulture)),
            ("route", flow.Route.HopNames),
            ("status", status.ToString()));

        // Resolve through the queue at the same virtual time, so awaiting code never runs inside this bookkeeping.
        flow.Outcome = outcome;
        _loop.RunAt(_loop.NowNs, ResolveWait, flow);
    }

    private static readonly SendOrPostCallback ResolveWait = static flow => ((Flow)flow!).Wait.TrySetResult(((Flow)flow!).Outcome);

    private void LeaveDataPhase(Flow flow)
    {
        flow.InDataPhase = false;
        flow.RateBytesPerSecond = 0;
        _active.Remove(flow);
        foreach (var hop in flow.Route.HopSpan)
        {
            _flowsOnLink[hop.Id]!.Remove(flow);
        }
    }

    // Progress since the last change, at the rates in force since then.
    private void AdvanceAll()
    {
        var elapsedNs = _loop.NowNs - _lastAdvanceNs;
        if (elapsedNs > 0)
        {
            foreach (var flow in _active)
            {
                flow.RemainingScaled -= (Int128)flow.RateBytesPerSecond * elapsedNs;
            }
        }

        _lastAdvanceNs = _loop.NowNs;
    }

    private void Rebalance()
    {
        AdvanceAll();
        ComputeShares(_active);
        Apply(_active);
    }

    /// <summary>
    /// Rebalances after <paramref name="changed"/> entered or left its data phase: only the flows that share a link with
    /// it, transitively, can change share. Max-min shares split over such groups (a round's level freezes nothing in a
    /// group whose own bottleneck is higher, and touches none of its links), so this is exactly what a rebalance of
    /// every flow computes, and reschedules the same flows in the same (id) order, at a fraction of the cost when
    /// many transfers run at once.
    /// </summary>
    private void Rebalance(Flow changed)
    {
        AdvanceAll();
        var visit = ++_visit;
        _component.Clear();
        VisitLinksOf(changed, visit);
        while (_linksToVisit.TryPop(out var link))
        {
            foreach (var flow in _flowsOnLink[link] ?? [])
            {
                if (flow.Visit != visit)
                {
                    flow.Visit = visit;
                    _component.Add(flow);
                    VisitLinksOf(flow, visit);
                }
            }
        }

        _component.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        ComputeShares(_component);
        Apply(_component);
    }

    // Queues the links of a flow this rebalance has not reached yet.
    private void VisitLinksOf(Flow flow, long visit)
    {
        foreach (var hop in flow.Route.HopSpan)
        {
            if (_linkVisit[hop.Id] != visit)
            {
                _linkVisit[hop.Id] = visit;
                _linksToVisit.Push(hop.Id);
            }
        }
    }

    // New shares take effect: a flow whose rate changed (or that has no completion yet) gets a new completion, in id order.
    private void Apply(List<Flow> flows)
    {
        foreach (var flow in flows)
        {
            if (flow.NextRateBytesPerSecond != flow.RateBytesPerSecond || flow.Completion is null)
            {
                flow.RateBytesPerSecond = flow.NextRateBytesPerSecond;
                Reschedule(flow);
            }
        }
    }

    private void Reschedule(Flow flow)
    {
        flow.Completion?.Cancel();
        flow.Completion = null;
        if (flow.RateBytesPerSecond <= 0)
        {
            return; // starved (cannot happen with sane capacities); its deadline still ends it
        }

        var remaining = flow.RemainingScaled > 0 ? flow.RemainingScaled : 0;
        var waitNs = (remaining + flow.RateBytesPerSecond - 1) / flow.RateBytesPerSecond;
        var atNs = waitNs >= long.MaxValue - _loop.NowNs ? long.MaxValue : _loop.NowNs + (long)waitNs;
        if (flow.RateBytesPerSecond == flow.CapBytesPerSecond && atNs < flow.FloorNs)
        {
            // At its own cap the data phase ends at the floor by construction; the whole-B/s cap, rounded up, would end
            // it a few ns early (tens of ns for a slow, descriptor-bound flow) and cost one more event for nothing.
            atNs = flow.FloorNs;
        }

        flow.Completion = _loop.Schedule(atNs, flow.OnCompletion ??= () => OnCompletion(flow)); // one delegate per flow, however often it is rescheduled
    }

    // Max-min fairness by progressive filling: raise every unfrozen flow's rate together; when a link runs out
    // (its capacity left / unfrozen flows is the lowest level) or a flow reaches its own cap, freeze those flows at
    // that level and go on with the rest. Integer shares round down; the few B/s lost are negligible.
    private void ComputeShares(List<Flow> flows)
    {
        _touched.Clear();
        foreach (var flow in flows)
        {
            flow.Frozen = false;
            foreach (var hop in flow.Route.HopSpan)
            {
                if (_unfrozen[hop.Id] == 0)
                {
                    _touched.Add(hop.Id);
                    _capacityLeft[hop.Id] = hop.BandwidthBytesPerSecond;
                }

                _unfrozen[hop.Id]++;
            }
        }

        var left = flows.Count;
        while (left > 0)
        {
            var level = long.MaxValue;
            foreach (var link in _touched)
            {
                if (_unfrozen[link] > 0)
                {
                    level = Math.Min(level, _capacityLeft[link] / _unfrozen[link]);
                }
            }

            foreach (var flow in flows)
            {
                if (!flow.Frozen)
                {
                    level = Math.Min(level, flow.CapBytesPerSecond);
                }
            }

            // Decide who freezes against the shares as they were at the start of this round.
            var freezing = _freezing;
            freezing.Clear();
            foreach (var flow in flows)
            {
                if (!flow.Frozen && (flow.CapBytesPerSecond <= level || AnyHopAtOrBelow(flow, level)))
                {
                    freezing.Add(flow);
                }
            }

            foreach (var flow in freezing)
            {
                flow.Frozen = true;
                flow.NextRateBytesPerSecond = level;
                left--;
                foreach (var hop in flow.Route.HopSpan)
                {
                    _capacityLeft[hop.Id] -= level;
                    _unfrozen[hop.Id]--;
                }
            }
        }

        foreach (var link in _touched)
        {
            _unfrozen[link] = 0;
        }

        _freezing.Clear();
    }

    private bool AnyHopAtOrBelow(Flow flow, long level)
    {
        foreach (var hop in flow.Route.HopSpan)
        {
            if (_capacityLeft[hop.Id] / _unfrozen[hop.Id] <= level)
            {
                return true;
            }
        }

        return false;
    }
}
