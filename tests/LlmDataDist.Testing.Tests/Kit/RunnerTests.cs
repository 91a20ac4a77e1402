using FsCheck;
using FsCheck.Fluent;
using LlmDataDist.Simulator;
using LlmDataDist.Simulator.Semantics;
using LlmDataDist.Testing.Tests.Faults;

namespace LlmDataDist.Testing.Tests.Kit;

/// <summary>The runner: deterministic per seed, replayable through SIM_SEED, and a failure message that says how.</summary>
public sealed class RunnerTests
{
    private static readonly SimulationSettings Chaos2P2D = FaultProperties.Settings("2P2D").WithEnvironment(SimulationEnvironment.None);

    private static Task Workload(SimulationContext sim) => new ChaosWorkload(sim, 20).RunAsync();

    [Theory]
    [InlineData(EngineProfile.CE)]
    [InlineData(EngineProfile.HX)]
    public void The_same_seed_replays_the_same_trace_and_another_seed_does_not(EngineProfile profile)
    {
        var first = SimulationRunner.Run(7, profile, Workload, Chaos2P2D);
        var again = SimulationRunner.Run(7, profile, Workload, Chaos2P2D);
        var other = SimulationRunner.Run(8, profile, Workload, Chaos2P2D);

        Assert.Equal(first, again);
        Assert.NotEqual(first.TraceHash, other.TraceHash);
        Assert.True(first.TraceEvents > 100, $"only {first.TraceEvents} events");
    }

    [Fact]
    public void A_failure_starts_with_seed_and_plan_then_the_replay_command_then_the_trace_tail()
    {
        var planted = new InvalidOperationException("planted failure");
        var ex = Assert.Throws<SimulationFailedException>(() => SimulationRunner.Run(7, EngineProfile.CE, async sim =>
        {
            await Workload(sim);
            throw planted;
        }, Chaos2P2D));

        var lines = ex.Message.Split('\n');
        Assert.StartsWith("seed=7 plan=FaultPlan(FaultPlan.Chaos(7, npuCount: 4, clusterIds: [1, 2, 3, 4]", lines[0], StringComparison.Ordinal);
        Assert.Contains(" profile=CE topology=2P2D-A2 ", lines[0], StringComparison.Ordinal);
        Assert.Equal("reproduce: SIM_SEED=7 dotnet test --filter \"FullyQualifiedName~A_failure_starts_with_seed_and_plan_then_the_replay_command_then_the_trace_tail\"", lines[1]);
        Assert.Equal("failure: InvalidOperationException: planted failure", lines[2]);
        Assert.StartsWith("seed=7 topology=2P2D-A2 plan=", lines[3], StringComparison.Ordinal);
        Assert.Equal("trace tail:", lines[4]);
        Assert.Equal(SimulationOptions.Default.TraceTailLines, lines.Skip(5).Count(l => l.StartsWith("  t=", StringComparison.Ordinal)));
        Assert.Same(planted, ex.InnerException);
        Assert.Equal(7UL, ex.Seed);
        Assert.Equal(EngineProfile.CE, ex.Profile);
        Assert.Equal(SimulationRunner.ReplayCommand(7, nameof(A_failure_starts_with_seed_and_plan_then_the_replay_command_then_the_trace_tail)), ex.ReplayCommand);
    }

    [Fact]
    public void A_deadlocked_world_is_reported_the_same_way_with_the_loops_own_diagnosis()
    {
        var ex = Assert.Throws<SimulationFailedException>(() => SimulationRunner.Run(3, EngineProfile.HX, async sim =>
        {
            await new TaskCompletionSource().Task; // nothing will ever complete it
        }, SimulationSettings.Default.WithEnvironment(SimulationEnvironment.None), testName: "Custom.Name"));

        Assert.StartsWith("seed=3 plan=FaultPlan(none; drop=0/1) profile=HX", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\nreproduce: SIM_SEED=3 dotnet test --filter \"FullyQualifiedName~Custom.Name\"\nfailure: SimulationFailureException: ", ex.Message, StringComparison.Ordinal);
        Assert.Equal(SimulationFailureKind.Deadlock, Assert.IsType<SimulationFailureException>(ex.InnerException).Kind);
    }

    [Fact]
    public void SIM_SEED_replaces_the_seed_of_every_run_and_the_replay_is_exact()
    {
        var replay = Chaos2P2D.WithEnvironment(new SimulationEnvironment(ReplaySeed: 42, SweepCount: 0));

        var replayed = SimulationRunner.Run(1, EngineProfile.HX, Workload, replay);
        var direct = SimulationRunner.Run(42, EngineProfile.HX, Workload, Chaos2P2D);
        var seeds = SimulationRunner.RunSeeds([1, 2, 3], EngineProfile.HX, Workload, replay);

        Assert.Equal(42UL, replayed.Seed);
        Assert.Equal(direct, replayed);
        Assert.Equal([direct], seeds);
    }

    [Fact]
    public void A_run_without_a_seed_prints_the_fresh_seed_it_drew_and_that_seed_replays_the_failure()
    {
        static async Task FailsAtTheEnd(SimulationContext sim)
        {
            await Workload(sim);
            throw new InvalidOperationException($"trace {sim.Trace.HashHex}");
        }

        var fresh = Assert.Throws<SimulationFailedException>(() => SimulationRunner.Run(EngineProfile.CE, FailsAtTheEnd, Chaos2P2D));
        var replayed = Assert.Throws<SimulationFailedException>(() =>
            SimulationRunner.Run(0, EngineProfile.CE, FailsAtTheEnd, Chaos2P2D.WithEnvironment(new SimulationEnvironment(fresh.Seed, 0))));

        Assert.StartsWith($"seed={fresh.Seed} plan=", fresh.Message, StringComparison.Ordinal);
        Assert.Contains($"SIM_SEED={fresh.Seed} ", fresh.Message, StringComparison.Ordinal);
        Assert.Equal(fresh.Message, replayed.Message);
    }

    [Fact]
    public void RunSeeds_runs_every_seed_and_reports_all_failing_seeds_with_a_count_at_the_end()
    {
        var ran = new List<ulong>();
        var ex = Assert.Throws<SimulationFailedException>(() => SimulationRunner.RunSeeds([5, 6, 7, 8, 9], EngineProfile.CE, sim =>
        {
            ran.Add(sim.Seed);
            return sim.Seed is 6 or 8 ? throw new InvalidOperationException("even") : Task.CompletedTask;
        }, SimulationSettings.Default.WithEnvironment(SimulationEnvironment.None)));

        Assert.Equal([5UL, 6, 7, 8, 9], ran);
        Assert.Equal(6UL, ex.Seed);
        Assert.Equal([6UL, 8], ex.FailingSeeds);
        Assert.Equal(5, ex.SeedsRun);
        Assert.StartsWith("seed=6 plan=", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith("sweep: 2 of 5 seeds failed: 6, 8", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, null, 0)]
    [InlineData("42", null, 42UL, 0)]
    [InlineData(" 7 ", "0", 7UL, 0)]
    [InlineData("", "1", null, SimulationEnvironment.SweepCountDefault)]
    [InlineData(null, "true", null, SimulationEnvironment.SweepCountDefault)]
    [InlineData(null, "FALSE", null, 0)]
    [InlineData(null, "25", null, 25)]
    public void The_environment_variables_parse(string? seed, string? sweep, ulong? replay, int count)
    {
        Assert.Equal(new SimulationEnvironment(replay, count), SimulationEnvironment.Parse(seed, sweep));
    }

    [Theory]
    [InlineData("-1", null)]
    [InlineData("0x10", null)]
    [InlineData("seed", null)]
    [InlineData(null, "yes")]
    [InlineData(null, "-3")]
    public void Malformed_environment_variables_are_errors_not_silently_ignored(string? seed, string? sweep)
    {
        var ex = Assert.Throws<ArgumentException>(() => SimulationEnvironment.Parse(seed, sweep));

        Assert.Contains(seed is null ? "SIM_SWEEP" : "SIM_SEED", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_seed_list_is_the_ci_list_plus_fresh_seeds_in_a_sweep_and_only_the_replay_seed_when_set()
    {
        ulong next = 1000;
        ulong Fresh() => next++;

        Assert.Equal([1UL, 2], SimulationEnvironment.None.Seeds([1, 2], Fresh));
        Assert.Equal([1UL, 2, 1000, 1001, 1002], new SimulationEnvironment(null, 3).Seeds([1, 2], Fresh));
        Assert.Equal([9UL], new SimulationEnvironment(9, 3).Seeds([1, 2], Fresh));
    }

    [Fact]
    public void A_seed_property_shrinks_to_the_smallest_failing_seed_and_prints_its_replay_command()
    {
        // Fails for every seed >= 1000: FsCheck finds one, then shrinks it to exactly 1000.
        var property = SimulationProperty.ForAllSeeds(EngineProfile.CE, sim =>
            sim.Seed >= 1000 ? throw new InvalidOperationException("seed too large") : Task.CompletedTask,
            SimulationSettings.Default.WithEnvironment(SimulationEnvironment.None), testName: "ShrinkDemo");

        var ex = Assert.ThrowsAny<Exception>(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(100), property));

        Assert.Contains("seed=1000 plan=", ex.Message, StringComparison.Ordinal);
        Assert.Contains("reproduce: SIM_SEED=1000 dotnet test --filter \"FullyQualifiedName~ShrinkDemo\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_seed_property_runs_only_the_replay_seed_when_SIM_SEED_is_set()
    {
        var seen = new List<ulong>();
        var property = SimulationProperty.ForAllSeeds(EngineProfile.CE, sim =>
        {
            seen.Add(sim.Seed);
            return Task.CompletedTask;
        }, SimulationSettings.Default.WithEnvironment(new SimulationEnvironment(31, 0)));

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(20), property);

        Assert.Equal([31UL], seen);
    }
}
