using System.Globalization;

namespace LlmDataDist.Simulator;

/// <summary>
/// Applies a <see cref="FaultPlan"/>: the <see cref="Network"/> consults it for drops, latency spikes and slow
/// devices, <see cref="MemorySpace"/> for allocation failures, and a backend for link-establishment failures and
/// crashed clusters. Timed link faults and crashes are scheduled on the loop by <see cref="Arm"/>.
/// </summary>
public sealed class FaultInjector
{
    private readonly Topology _topology;
    private readonly SimRandom _drops;
    private readonly List<(LatencySpikeFault Fault, HashSet<int> Links)> _spikes = [];
    private readonly List<(LinkDownAfterTransfersFault Fault, IReadOnlyList<LinkInfo> Links, long[] Count)> _afterTransfers = [];
    private readonly SimRandom? _lateLandings;
    private SimLoop? _loop;
    private Network? _network;
    private Trace? _trace;

    /// <summary>Creates an injector.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="topology">Resolves link patterns.</param>
    /// <param name="random">The stream for probabilistic faults.</param>
    public FaultInjector(FaultPlan plan, Topology topology, SimRandom random)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(random);
        plan.TransferDrop.Validate();
        Plan = plan;
        _topology = topology;
        _drops = random;
        foreach (var fault in plan.Script)
        {
            switch (fault)
            {
                case LatencySpikeFault spike:
                    _spikes.Add((spike, [.. topology.MatchLinks(spike.Link).Select(l => l.Id)]));
                    break;
                case LinkDownAfterTransfersFault after:
                    _afterTransfers.Add((after, topology.MatchLinks(after.Link), [0]));
                    break;
                case SlowDeviceFault slow when slow.Factor.Den == 0 || slow.Factor.Num < slow.Factor.Den:
                    throw new ArgumentException($"{slow}: a slow-down factor is at least 1", nameof(plan));
                case LinkFlapFault flap when flap.PeriodNs < 2:
                    throw new ArgumentException($"{flap}: the period is at least 2 ns", nameof(plan));
                case LateLandingFault late:
                    late.Validate();
                    LateLanding = LateLanding is null ? late : throw new ArgumentException($"{late}: a plan holds at most one late-landing fault", nameof(plan));
                    break;
                default:
                    break;
            }
        }

        // Its own stream, forked only when the plan has the fault: plans without it draw exactly as before.
        _lateLandings = LateLanding is null ? null : random.Fork();
    }

    /// <summary>Raised on the loop when a cluster crashes (true) or restarts (false).</summary>
    public event Action<ulong, bool>? ClusterStateChanged;

    /// <summary>The plan.</summary>
    public FaultPlan Plan { get; }

    /// <summary>The plan's late-landing fault, or null: timed-out transfers then change nothing (the reference).</summary>
    public LateLandingFault? LateLanding { get; }

    /// <summary>Schedules the plan's timed faults on the loop; call once, before running.</summary>
    /// <param name="loop">The loop.</param>
    /// <param name="network">Whose links the faults take down.</param>
    /// <param name="trace">Receives fault events; null for none.</param>
    public void Arm(SimLoop loop, Network network, Trace? trace)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(network);
        if (_loop is not null)
        {
            throw new InvalidOperationException("the injector is already armed");
        }

        _loop = loop;
        _network = network;
        _trace = trace;
        foreach (var fault in Plan.Script)
        {
            switch (fault)
            {
                case LinkDownFault down:
                    TakeDown(_topology.MatchLinks(down.Link), down.AtNs, down.ForNs, down.ToString());
                    break;
                case LinkFlapFault flap:
                    Flap(flap, _topology.MatchLinks(flap.Link), flap.FromNs);
                    break;
                case ClusterCrashFault crash:
                    loop.At(Clamp(crash.AtNs), () => ClusterEvent(crash.ClusterId, crashed: true, crash.ToString()));
                    if (crash.RestartAtNs != long.MaxValue)
                    {
                        loop.At(Clamp(crash.RestartAtNs), () => ClusterEvent(crash.ClusterId, crashed: false, crash.ToString()));
                    }

                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>Whether the next transfer is dropped (draws from the drop stream only when dropping is enabled).</summary>
    /// <returns>True to drop it.</returns>
    public bool ShouldDropTransfer() => !Plan.TransferDrop.IsZero && _drops.Chance(Plan.TransferDrop);

    /// <summary>Extra latency on a hop for a transfer starting now.</summary>
    /// <param name="link">The hop.</param>
    /// <param name="nowNs">Virtual time.</param>
    /// <returns>Sum of the spikes in force on that link.</returns>
    public long ExtraLatencyNs(LinkInfo link, long nowNs)
    {
        ArgumentNullException.ThrowIfNull(link);
        long extra = 0;
        foreach (var (fault, links) in _spikes)
        {
            if (nowNs >= fault.FromNs && nowNs < fault.UntilNs && links.Contains(link.Id))
            {
                extra += fault.ExtraLatencyNs;
            }
        }

        return extra;
    }

    /// <summary>Slow-down of an NPU now: the largest factor in force, or <see cref="Ratio.One"/>.</summary>
    /// <param name="npu">NPU id.</param>
    /// <param name="nowNs">Virtual time.</param>
    /// <returns>The factor.</returns>
    public Ratio SlowFactor(int npu, long nowNs)
    {
        var factor = Ratio.One;
        foreach (var fault in Plan.Script)
        {
            if (fault is SlowDeviceFault slow && slow.Npu == npu && nowNs >= slow.FromNs && nowNs < slow.UntilNs
                && (UInt128)slow.Factor.Num * factor.Den > (UInt128)factor.Num * slow.Factor.Den)
            {
                factor = slow.Factor;
            }
        }

        return factor;
    }

    /// <summary>Whether the plan fails this allocation attempt.</summary>
    /// <param name="npu">NPU id.</param>
    /// <param name="allocationOrdinal">Attempt number on that NPU, from 1.</param>
    /// <returns>True to fail it.</returns>
    public bool IsAllocationFailing(int npu, long allocationOrdinal) =>
        Plan.Script.Any(f => f is AllocationFailureFault a && (a.Npu == -1 || a.Npu == npu) && a.Nth == allocationOrdinal);

    /// <summary>Whether establishing a link from one cluster to another is refused now.</summary>
    /// <param name="clusterId">Local cluster.</param>
    /// <param name="remoteClusterId">Remote cluster.</param>
    /// <param name="nowNs">Virtual time.</param>
    /// <returns>True to refuse.</returns>
    public bool IsLinkEstablishmentFailing(ulong clusterId, ulong remoteClusterId, long nowNs) =>
        Plan.Script.Any(f => f is LinkEstablishmentFailureFault e && e.ClusterId == clusterId
            && (e.RemoteClusterId is null || e.RemoteClusterId == remoteClusterId) && nowNs >= e.FromNs && nowNs < e.UntilNs);

    /// <summary>Whether a control-plane exchange from one cluster to another fails with an error now.</summary>
    /// <param name="clusterId">Local cluster.</param>
    /// <param name="remoteClusterId">Remote cluster.</param>
    /// <param name="message">The exchange.</param>
    /// <param name="nowNs">Virtual time.</param>
    /// <returns>True to fail it.</returns>
    public bool IsControlPlaneFailing(ulong clusterId, ulong remoteClusterId, ControlMessageKind message, long nowNs) =>
        Plan.Script.Any(f => f is ControlPlaneErrorFault e && e.ClusterId == clusterId && e.Message == message
            && (e.RemoteClusterId is null || e.RemoteClusterId == remoteClusterId) && nowNs >= e.FromNs && nowNs < e.UntilNs);

    /// <summary>Whether an NPU ignores requests issued now.</summary>
    /// <param name="npu">NPU id.</param>
    /// <param name="nowNs">Virtual time.</param>
    /// <returns>True when it never answers.</returns>
    public bool IsDeviceUnresponsive(int npu, long nowNs)
    {
        foreach (var f in Plan.Script) // a loop, not LINQ: asked for every transfer
        {
            if (f is DeviceUnresponsiveFault d && d.Npu == npu && nowNs >= d.FromNs && nowNs < d.UntilNs)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether closing the connection of an unlink by a cluster fails now.</summary>
    /// <param name="clusterId">The unlinking cluster.</param>
    /// <param name="nowNs">Virtual time.</param>
    /// <returns>True to fail the close.</returns>
    public bool IsUnlinkCloseFailing(ulong clusterId, long nowNs) =>
        Plan.Script.Any(f => f is UnlinkCloseFailureFault u && u.ClusterId == clusterId && nowNs >= u.FromNs && nowNs < u.UntilNs);

    /// <summary>The runtime error a transfer by a cluster completing now fails with, or null.</summary>
    /// <param name="clusterId">The transferring cluster.</param>
    /// <param name="nowNs">Virtual time.</param>
    /// <returns>The raw code, or null.</returns>
    public uint? TransferErrorCode(ulong clusterId, long nowNs)
    {
        foreach (var f in Plan.Script) // a loop, not LINQ: asked for every completed transfer
        {
            if (f is TransferErrorFault t && t.ClusterId == clusterId && nowNs >= t.FromNs && nowNs < t.UntilNs)
            {
                return t.Code;
            }
        }

        return null;
    }

    /// <summary>Whether a cluster is down now.</summary>
    /// <param name="clusterId">Cluster id.</param>
    /// <param name="nowNs">Virtual time.</param>
    /// <returns>True while crashed and not yet restarted.</returns>
    public bool IsClusterCrashed(ulong clusterId, long nowNs) =>
        Plan.Script.Any(f => f is ClusterCrashFault c && c.ClusterId == clusterId && nowNs >= c.AtNs && nowNs < c.RestartAtNs);

    /// <summary>When each block of a transfer that just timed out lands, if the plan lets it keep moving.</summary>
    /// <param name="blocks">Destination blocks of the transfer.</param>
    /// <param name="returnedAtNs">When the call returns its timeout.</param>
    /// <returns>One landing time per block (-1: that block never lands), or null when nothing lands.</returns>
    public long[]? DrawLateLanding(int blocks, long returnedAtNs)
    {
        if (LateLanding is not { } late || _lateLandings is null || !_lateLandings.Chance(late.Chance))
        {
            return null;
        }

        var times = new long[blocks];
        for (var i = 0; i < blocks; i++)
        {
            var lands = _lateLandings.Chance(late.BlockChance);
            var delay = _lateLandings.UniformNs(1, late.WithinNs);
            times[i] = lands ? SimTime.AddSaturating(returnedAtNs, delay) : -1;
        }

        return times;
    }

    internal void OnTransferStarting(Route route)
    {
        foreach (var (fault, links, count) in _afterTransfers)
        {
            if (count[0] > fault.Transfers || !route.Hops.Any(h => links.Contains(h)))
            {
                continue;
            }

            if (++count[0] > fault.Transfers && _loop is not null)
            {
                TakeDown(links, _loop.NowNs, fault.ForNs, fault.ToString());
            }
        }
    }

    private long Clamp(long atNs) => Math.Max(atNs, _loop!.NowNs);

    private void TakeDown(IReadOnlyList<LinkInfo> links, long atNs, long forNs, string cause)
    {
        var downNs = Clamp(atNs);
        if (downNs == _loop!.NowNs)
        {
            Apply(links, down: true, cause);
        }
        else
        {
            _loop.At(downNs, () => Apply(links, down: true, cause));
        }

        if (forNs != long.MaxValue)
        {
            _loop.At(SimTime.AddSaturating(downNs, forNs), () => Apply(links, down: false, cause));
        }
    }

    // One period at a time, so a long flapping window costs two queued events, not thousands.
    private void Flap(LinkFlapFault flap, IReadOnlyList<LinkInfo> links, long periodStartNs)
    {
        if (periodStartNs >= flap.UntilNs)
        {
            return;
        }

        var upNs = Math.Min(periodStartNs + (flap.PeriodNs / 2), flap.UntilNs);
        _loop!.At(Clamp(periodStartNs), () =>
        {
            Apply(links, down: true, flap.ToString());
            _loop.At(Math.Max(upNs, _loop.NowNs), () =>
            {
                Apply(links, down: false, flap.ToString());
                Flap(flap, links, periodStartNs + flap.PeriodNs);
            });
        });
    }

    private void Apply(IReadOnlyList<LinkInfo> links, bool down, string cause)
    {
        _trace?.Instant(_loop!.NowNs, "fault", down ? "FaultLinkDown" : "FaultLinkUp", TraceActor.World,
            ("cause", cause), ("links", links.Count.ToString(CultureInfo.InvariantCulture)));
        foreach (var link in links)
        {
            _network!.SetFaultDown(link, down, cause);
        }
    }

    private void ClusterEvent(ulong clusterId, bool crashed, string cause)
    {
        _trace?.Instant(_loop!.NowNs, "fault", crashed ? "ClusterCrash" : "ClusterRestart", TraceActor.World,
            ("cause", cause), ("cluster", clusterId.ToString(CultureInfo.InvariantCulture)));
        ClusterStateChanged?.Invoke(clusterId, crashed);
    }
}
