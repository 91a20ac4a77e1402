namespace LlmDataDist.Simulator;

/// <summary>
/// A pessimistic hardware possibility, not a reference rule (opt-in): a transfer whose call returned a timeout keeps
/// moving bytes. With probability <paramref name="Chance"/> a timed-out transfer lands late: each of its destination
/// blocks lands with probability <paramref name="BlockChance"/> (so the transfer lands fully or partly), each at its
/// own time drawn uniformly within <paramref name="WithinNs"/> after the call returned, until the link that carried
/// it is torn down — an unlink (force or not) or Finalize on either side, or a crash of either side — after which
/// nothing of it lands. Landings are traced (<c>LateLandingArmed</c>, <c>LateLanded</c>, <c>LateLandingVoided</c>).
/// </summary>
/// <param name="Chance">Probability that a timed-out transfer keeps moving.</param>
/// <param name="BlockChance">Probability that each of its blocks lands (1/1: whole transfers land).</param>
/// <param name="WithinNs">Blocks land within this much virtual time after the call returned its timeout.</param>
public sealed record LateLandingFault(Ratio Chance, Ratio BlockChance, long WithinNs) : ScheduledFault
{
    /// <summary>Every timed-out transfer keeps moving; each block lands with probability 1/2 within 250 ms.</summary>
    public static LateLandingFault Pessimistic { get; } = new(Ratio.One, new Ratio(1, 2), 250 * SimTime.NsPerMs);

    /// <summary>The late-landing fault <see cref="FaultPlan.Chaos"/> adds when asked: drawn from its own stream of the
    /// plan's seed, so turning it on leaves every other fault of the plan as it was.</summary>
    /// <param name="seed">The plan's seed.</param>
    /// <param name="horizonNs">The plan's horizon: blocks land within a quarter of it, at least 1 ms.</param>
    /// <returns>The fault.</returns>
    public static LateLandingFault Draw(ulong seed, long horizonNs)
    {
        // A salt of its own separates this stream from the ones Chaos draws the other faults from.
        var r = new SimRandom(seed ^ 0xD1B5_4A32_D192_ED03UL);
        var chance = new Ratio(1 + r.Below(4), 4);
        var blockChance = r.Below(3) == 0 ? Ratio.One : new Ratio(1 + r.Below(3), 4);
        var within = SimTime.NsPerMs + (long)r.Below((ulong)Math.Max(1, horizonNs / 4));
        return new LateLandingFault(chance, blockChance, within);
    }

    internal void Validate()
    {
        Chance.Validate();
        BlockChance.Validate();
        if (Chance.Num > Chance.Den || BlockChance.Num > BlockChance.Den || WithinNs < 1)
        {
            throw new ArgumentException($"{this}: chances are at most 1/1 and blocks land within at least 1 ns", nameof(WithinNs));
        }
    }
}
