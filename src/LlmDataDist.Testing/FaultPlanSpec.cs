using LlmDataDist.Simulator;

namespace LlmDataDist.Testing;

/// <summary>
/// A generated fault plan, kept in the form it was drawn from so that FsCheck can shrink it: a chaos plan shrinks
/// toward smaller seeds and then to no faults; a single scripted fault shrinks toward earlier, shorter faults and then to
/// no faults. <see cref="ToPlan"/> gives the <see cref="FaultPlan"/> to hand to a world.
/// </summary>
public abstract record FaultPlanSpec
{
    private protected FaultPlanSpec()
    {
    }

    /// <summary>The plan.</summary>
    /// <returns>A new plan.</returns>
    public abstract FaultPlan ToPlan();

    /// <summary>The plan's replay text.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => ToPlan().ToString();
}

/// <summary><see cref="FaultPlan.None"/>.</summary>
public sealed record NoFaults : FaultPlanSpec
{
    /// <inheritdoc/>
    public override FaultPlan ToPlan() => FaultPlan.None;

    /// <inheritdoc/>
    public override string ToString() => base.ToString();
}

/// <summary>A plan of one scripted fault.</summary>
/// <param name="Fault">The fault.</param>
public sealed record SingleFault(ScheduledFault Fault) : FaultPlanSpec
{
    /// <inheritdoc/>
    public override FaultPlan ToPlan() => FaultPlan.Scripted(Fault);

    /// <inheritdoc/>
    public override string ToString() => base.ToString();
}

/// <summary><see cref="FaultPlan.Chaos"/> of a seed (swarm testing: a random subset of fault kinds).</summary>
/// <param name="Seed">The plan's seed.</param>
/// <param name="NpuCount">NPUs faults may target.</param>
/// <param name="ClusterIds">Clusters crashes and link-establishment failures may target.</param>
/// <param name="HorizonNs">Faults start within this much virtual time.</param>
public sealed record ChaosFaults(ulong Seed, int NpuCount, IReadOnlyList<ulong> ClusterIds, long HorizonNs) : FaultPlanSpec
{
    /// <inheritdoc/>
    public override FaultPlan ToPlan() => FaultPlan.Chaos(Seed, NpuCount, ClusterIds, HorizonNs);

    /// <inheritdoc/>
    public override string ToString() => base.ToString();
}
