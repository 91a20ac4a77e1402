using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using LlmDataDist.Simulator.Semantics;
using Microsoft.FSharp.Core;
using Xunit.Abstractions;
using static LlmDataDist.Samples.Simulated.SimulatedKit;
using static LlmDataDist.Simulator.Tests.Faults.FaultScenario;

namespace LlmDataDist.Simulator.Tests.Faults;

/// <summary>
/// §6.5 as a property over seeded random schedules: a 1P1D pair pulls (decoder), pushes (prompt) and recovers (force
/// unlink both sides, link again) at drawn times, concurrently, while its RoCE ports go down in drawn windows. Once one
/// side's link is Faulted (the trace's <c>LinkFaulted</c>), no transfer of that side succeeds after it unless the
/// transfer started after a new link was started; a transfer that was already waiting for the link when it broke fails
/// too. A failure prints the shrunk case (world seed, down windows, steps) and the trace around it; FsCheck shrinks by
/// dropping windows and steps. CI runs a fixed draw; <c>SIM_SWEEP=&lt;n&gt;</c> runs n fresh cases per profile.
/// </summary>
public sealed class FaultedLinkProperties(ITestOutputHelper output)
{
    private const long Ms = SimTime.NsPerMs;

    /// <summary>Steps and windows start this long after the pair is linked and warmed up.</summary>
    private const long T0 = 20 * Ms;

    private static readonly string[] Ports = [$"npu{DecoderNpu}.roce.rx", $"npu{PromptNpu}.roce.tx"];

    public enum StepKind
    {
        Pull,
        Push,
        Recover,
    }

    /// <summary>One call started <paramref name="AtMs"/> after T0, on its own, concurrently with the others.</summary>
    public sealed record Step(int AtMs, StepKind Kind, uint Row)
    {
        public override string ToString() => Kind == StepKind.Recover ? $"{AtMs}:Recover" : $"{AtMs}:{Kind}({Row})";
    }

    /// <summary>A RoCE port down from <paramref name="AtMs"/> after T0, for <paramref name="ForMs"/>.</summary>
    public sealed record Down(int Port, int AtMs, int ForMs)
    {
        public override string ToString() => $"{Ports[Port]}@{AtMs}+{ForMs}";
    }

    public sealed record Schedule(ulong Seed, IReadOnlyList<Down> Downs, IReadOnlyList<Step> Steps)
    {
        public FaultPlan Plan => FaultPlan.Scripted([.. Downs.Select(d => new LinkDownFault(Ports[d.Port], T0 + (d.AtMs * Ms), d.ForMs * Ms))]);

        public override string ToString() => $"seed={Seed} downs=[{string.Join(' ', Downs)}] steps=[{string.Join(' ', Steps)}]";
    }

    private static Arbitrary<Schedule> Schedules()
    {
        var step = from at in Gen.Choose(0, 250)
                   from kind in Gen.Frequency((4, Gen.Constant(StepKind.Pull)), (2, Gen.Constant(StepKind.Push)), (1, Gen.Constant(StepKind.Recover)))
                   from row in Gen.Choose(0, (int)Desc.Shape[0] - 1)
                   select new Step(at, kind, (uint)row);
        var down = from port in Gen.Choose(0, Ports.Length - 1)
                   from at in Gen.Choose(0, 200)
                   from length in Gen.Choose(1, 80)
                   select new Down(port, at, length);
        var schedule = from seed in Gen.Choose(0, 10_000)
                       from downCount in Gen.Choose(0, 3)
                       from downs in Gen.ArrayOf(down, downCount)
                       from stepCount in Gen.Choose(1, 14)
                       from steps in Gen.ArrayOf(step, stepCount)
                       select new Schedule((ulong)seed, downs, steps);
        return Arb.From(schedule, Shrink);
    }

    /// <summary>Fewer windows, fewer steps, then the world seed 0.</summary>
    private static IEnumerable<Schedule> Shrink(Schedule s)
    {
        for (var i = 0; i < s.Downs.Count; i++)
        {
            yield return s with { Downs = [.. s.Downs.Take(i), .. s.Downs.Skip(i + 1)] };
        }

        for (var i = 0; i < s.Steps.Count && s.Steps.Count > 1; i++)
        {
            yield return s with { Steps = [.. s.Steps.Take(i), .. s.Steps.Skip(i + 1)] };
        }

        if (s.Seed != 0)
        {
            yield return s with { Seed = 0 };
        }
    }

    private static Config Configured()
    {
        // The fixed draw: FsCheck's generator is seeded, so CI runs the same 100 schedules every time. A sweep draws fresh
        // ones; its failure message carries FsCheck's own seed pair to replay.
        var sweep = int.TryParse(Environment.GetEnvironmentVariable("SIM_SWEEP"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 1 ? n : 0;
        var config = Config.QuickThrowOnFailure.WithQuietOnSuccess(true).WithMaxTest(sweep > 0 ? sweep : 100);
        return sweep > 0 ? config : config.WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(2026), FSharpOption<int>.None)));
    }

    [Theory]
    [MemberData(nameof(Profiles), MemberType = typeof(FaultScenario))]
    public void After_a_link_is_faulted_no_transfer_on_it_succeeds_until_it_is_unlinked_and_linked_again(EngineProfile profile)
    {
        var faulted = 0;
        var property = Prop.ForAll(Schedules(), schedule =>
        {
            var (violation, faults) = Run(profile, schedule);
            faulted += faults > 0 ? 1 : 0;
            return (violation is null).Label($"profile={profile} {schedule}: {violation}");
        });
        Check.One(Configured(), property);
        output.WriteLine($"{profile}: {faulted} schedules faulted the link");
        Assert.True(faulted > 0, "no schedule faulted the link: the property shows nothing");
    }

    /// <summary>Runs a schedule; returns the first violation (with the trace around it), or null, and how many LinkFaulted.</summary>
    private static (string? Violation, int Faults) Run(EngineProfile profile, Schedule schedule)
    {
        using var s = new FaultScenario(profile, schedule.Plan, schedule.Seed);
        s.Run(async s =>
        {
            await s.SetUpAsync();
            Assert.True(s.World.NowNs <= T0, "set-up must end before the schedule starts");
            await Task.WhenAll(schedule.Steps.Select(step => StepAsync(s, step)));
        });

        var events = s.World.Trace.Events;
        var faults = events.Where(e => e.Name == "LinkFaulted").ToList();
        // A link that made a new record: CE's overall SUCCESS also covers a cluster that was ALREADY_LINK (§6.3), so the
        // cluster's own status decides.
        var relinks = events.Where(e => e.Name == "LinkLlmClusters" && Arg(e, "rets") == nameof(LlmStatus.Success)).Select(e => e.TimeNs).ToList();
        foreach (var success in events.Where(e => e.Name is "PullKvCache" or "PushKvCache" && Arg(e, "status") == nameof(LlmStatus.Success)))
        {
            var end = success.TimeNs + success.DurationNs;
            var cluster = Arg(success, "cluster");
            foreach (var fault in faults.Where(f => Arg(f, "cluster") == cluster && f.TimeNs < end))
            {
                // The side's record was replaced only if a link started after the fault and before this transfer started.
                if (!relinks.Any(l => l >= fault.TimeNs && l <= success.TimeNs))
                {
                    var tail = events.Where(e => e.TimeNs >= Math.Min(success.TimeNs, fault.TimeNs) - Ms && e.TimeNs <= end).Select(e => "  " + e);
                    return ($"{success.Name} of cluster {cluster} started at {SimTime.Format(success.TimeNs)} and succeeded at {SimTime.Format(end)} "
                        + $"over the link Faulted at {SimTime.Format(fault.TimeNs)}, with no relink in between; trace:\n{string.Join('\n', tail)}", faults.Count);
                }
            }
        }

        return (null, faults.Count);
    }

    private static async Task StepAsync(FaultScenario s, Step step)
    {
        await s.World.Loop.Delay(T0 + (step.AtMs * Ms) - s.World.NowNs);
        var ext = new KvCacheExtParam();
        switch (step.Kind)
        {
            case StepKind.Pull:
                await s.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, s.Source.CacheId, step.Row), s.Destination, step.Row, -1, ext);
                break;
            case StepKind.Push:
                await s.Prompt.PushKvCacheAsync(s.Source, new CacheIndex(DecoderId, s.Destination.CacheId, step.Row), step.Row, -1, ext);
                break;
            default:
                // The recovery of §6.5; any step may fail (a busy link, a down port): the property only reads outcomes.
                await s.Decoder.UnlinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs, forceFlag: true);
                await s.Prompt.UnlinkLlmClustersAsync([PromptToDecoder], LinkTimeoutMs, forceFlag: true);
                await s.Decoder.LinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs);
                break;
        }
    }
}
