using System.Globalization;
using System.Text;

namespace LlmDataDist.Simulator;

/// <summary>
/// Declarative, seeded faults: a script of <see cref="ScheduledFault"/>s for targeted runs, plus probabilistic ones
/// (<see cref="TransferDrop"/>) drawn from the world's seed. <see cref="Chaos"/> draws a random plan from a seed with a
/// random subset of fault kinds enabled (swarm testing). <see cref="ToString"/> prints everything needed to replay.
/// </summary>
/// <param name="TransferDrop">Probability that a transfer is lost (it then times out at its deadline).</param>
/// <param name="Script">Scripted faults.</param>
/// <param name="Origin">How the plan was made, e.g. <c>Chaos(seed=42)</c>, for replay.</param>
public sealed record FaultPlan(Ratio TransferDrop, IReadOnlyList<ScheduledFault> Script, string Origin = "scripted")
{
    // Seeds the stream of the fault kinds added to Chaos after its first version (issue 8).
    private const ulong LaterKindsSalt = 0x9E3779B97F4A7C15;

    /// <summary>No faults at all.</summary>
    public static FaultPlan None { get; } = new(Ratio.Zero, [], "none");

    /// <summary>A plan of scripted faults only.</summary>
    /// <param name="faults">The faults.</param>
    /// <returns>The plan.</returns>
    public static FaultPlan Scripted(params ScheduledFault[] faults) => new(Ratio.Zero, [.. faults]);

    /// <summary>
    /// A random plan for swarm testing: each fault kind is enabled with probability 1/2, then its parameters are
    /// drawn: transfer drops, link down, flapping, latency spikes, slow devices, allocation failures, refused link
    /// set-ups and crashes (with clusters), then, from a second stream so earlier seeds keep their faults, control-plane
    /// connection errors, an unresponsive device, unlink close failures and raw ACL transfer errors. Only <paramref name="seed"/> and the other arguments decide the plan, so the same call replays it.
    /// </summary>
    /// <param name="seed">The plan's seed.</param>
    /// <param name="npuCount">NPUs that faults may target (ids 0 .. npuCount-1).</param>
    /// <param name="clusterIds">Clusters that crashes and link-establishment failures may target; none by default.</param>
    /// <param name="horizonNs">Faults start within this much virtual time.</param>
    /// <param name="lateLanding">Opt-in: also add a <see cref="LateLandingFault"/> (drawn from its own stream, so every
    /// other fault stays as without it). Off by default: the reference says a failed transfer changes nothing.</param>
    /// <returns>The plan.</returns>
    public static FaultPlan Chaos(ulong seed, int npuCount = 8, IReadOnlyList<ulong>? clusterIds = null, long horizonNs = 100 * SimTime.NsPerMs,
        bool lateLanding = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(npuCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(horizonNs, 1000);
        clusterIds ??= [];
        var r = new SimRandom(seed);
        var half = new Ratio(1, 2);
        var drop = Ratio.Zero;
        var script = new List<ScheduledFault>();
        string Npu() => $"npu{r.Below((ulong)npuCount)}";
        long Within(long span) => (long)r.Below((ulong)Math.Max(1, span));

        if (r.Chance(half))
        {
            drop = new Ratio(1 + r.Below(5), 100);
        }

        if (r.Chance(half))
        {
            for (var i = 1 + r.Below(3); i > 0; i--)
            {
                script.Add(new LinkDownFault($"{Npu()}.*", Within(horizonNs), SimTime.NsPerMs + Within(horizonNs / 4)));
            }
        }

        if (r.Chance(half))
        {
            var from = Within(horizonNs);
            script.Add(new LinkFlapFault($"{Npu()}.roce.*", from, from + 1 + Within(horizonNs / 2), 100 * SimTime.NsPerUs + Within(2 * SimTime.NsPerMs)));
        }

        if (r.Chance(half))
        {
            var from = Within(horizonNs);
            script.Add(new LatencySpikeFault(r.Chance(half) ? "*" : $"{Npu()}.*", from, from + 1 + Within(horizonNs / 4), 10 * SimTime.NsPerUs + Within(SimTime.NsPerMs)));
        }

        if (r.Chance(half))
        {
            var from = Within(horizonNs);
            script.Add(new SlowDeviceFault((int)r.Below((ulong)npuCount), new Ratio(2 + r.Below(4), 1), from, from + 1 + Within(horizonNs / 2)));
        }

        if (r.Chance(half))
        {
            script.Add(new AllocationFailureFault(r.Chance(half) ? -1 : (int)r.Below((ulong)npuCount), 1 + (long)r.Below(20)));
        }

        if (clusterIds.Count > 0 && r.Chance(half))
        {
            var from = Within(horizonNs);
            var remote = r.Chance(half) ? (ulong?)null : clusterIds[(int)r.Below((ulong)clusterIds.Count)];
            script.Add(new LinkEstablishmentFailureFault(clusterIds[(int)r.Below((ulong)clusterIds.Count)], remote, from, from + 1 + Within(horizonNs / 4)));
        }

        if (clusterIds.Count > 0 && r.Chance(half))
        {
            var at = Within(horizonNs);
            var restart = r.Chance(half) ? at + 1 + Within(horizonNs / 4) : long.MaxValue;
            script.Add(new ClusterCrashFault(clusterIds[(int)r.Below((ulong)clusterIds.Count)], at, restart));
        }

        // Kinds added later draw from a stream of their own, so every seed keeps exactly the faults it drew before and
        // only gains the new kinds (a seed's old failures still reproduce with the same faults in place).
        var later = new SimRandom(seed ^ LaterKindsSalt);
        long LaterWithin(long span) => (long)later.Below((ulong)Math.Max(1, span));
        ulong LaterCluster() => clusterIds[(int)later.Below((ulong)clusterIds.Count)];
        if (clusterIds.Count > 0 && later.Chance(half))
        {
            var from = LaterWithin(horizonNs);
            var remote = later.Chance(half) ? (ulong?)null : LaterCluster();
            var message = later.Chance(half) ? ControlMessageKind.Handshake : ControlMessageKind.UnlinkNotice;
            script.Add(new ControlPlaneErrorFault(LaterCluster(), remote, message, from, from + 1 + LaterWithin(horizonNs / 4)));
        }

        if (later.Chance(half))
        {
            var from = LaterWithin(horizonNs);
            script.Add(new DeviceUnresponsiveFault((int)later.Below((ulong)npuCount), from, from + 1 + LaterWithin(horizonNs / 4)));
        }

        if (clusterIds.Count > 0 && later.Chance(half))
        {
            var from = LaterWithin(horizonNs);
            script.Add(new UnlinkCloseFailureFault(LaterCluster(), from, from + 1 + LaterWithin(horizonNs / 4)));
        }

        if (clusterIds.Count > 0 && later.Chance(half))
        {
            var from = LaterWithin(horizonNs);
            var code = TransferErrorFault.AclRuntimeCodes[(int)later.Below((ulong)TransferErrorFault.AclRuntimeCodes.Count)];
            script.Add(new TransferErrorFault(LaterCluster(), code, from, from + 1 + LaterWithin(horizonNs / 4)));
        }

        if (lateLanding)
        {
            script.Add(LateLandingFault.Draw(seed, horizonNs));
        }

        var origin = string.Create(CultureInfo.InvariantCulture,
            $"FaultPlan.Chaos({seed}, npuCount: {npuCount}, clusterIds: [{string.Join(", ", clusterIds)}], horizonNs: {horizonNs}{(lateLanding ? ", lateLanding: true" : string.Empty)})");
        return new FaultPlan(drop, script, origin);
    }

    /// <summary>This plan with more scripted faults.</summary>
    /// <param name="faults">Faults to add.</param>
    /// <returns>The new plan.</returns>
    public FaultPlan With(params ScheduledFault[] faults) => this with { Script = [.. Script, .. faults], Origin = "scripted" };

    /// <summary>This plan with a transfer drop probability.</summary>
    /// <param name="drop">The probability.</param>
    /// <returns>The new plan.</returns>
    public FaultPlan WithTransferDrop(Ratio drop) => this with { TransferDrop = drop, Origin = "scripted" };

    /// <summary>Plans are equal when their drop ratio, script (in order) and origin are.</summary>
    /// <param name="other">The other plan.</param>
    /// <returns>Whether they are equal.</returns>
    public bool Equals(FaultPlan? other) => other is not null && TransferDrop == other.TransferDrop
        && Origin == other.Origin && Script.SequenceEqual(other.Script);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(TransferDrop, Origin, Script.Count);

    /// <summary>Everything needed to replay: origin, drop ratio and every scripted fault.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("FaultPlan(").Append(Origin).Append("; drop=").Append(TransferDrop);
        foreach (var fault in Script)
        {
            text.Append("; ").Append(fault);
        }

        return text.Append(')').ToString();
    }
}
