using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using LlmDataDist.Simulator;
using LlmDataDist.Simulator.Backend;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Testing;

/// <summary>What a successful run leaves behind.</summary>
/// <param name="Seed">The seed that ran (the replay seed when <c>SIM_SEED</c> was set).</param>
/// <param name="Plan">The fault plan.</param>
/// <param name="Profile">The engine profile.</param>
/// <param name="TraceHash">The trace's fingerprint: equal for equal seeds, settings and scenarios.</param>
/// <param name="TraceEvents">Events traced.</param>
/// <param name="EndNs">Virtual time at the end.</param>
public sealed record SimulationResult(ulong Seed, FaultPlan Plan, EngineProfile Profile, string TraceHash, long TraceEvents, long EndNs);

/// <summary>A scenario failed in a simulated world. The message starts with <c>seed=… plan=…</c>, then the
/// <c>reproduce: SIM_SEED=… dotnet test --filter "FullyQualifiedName~…"</c> line, then the failure and the world's
/// replay description (seed, topology, plan, trace hash and the trace tail). The failure is the inner exception.</summary>
public sealed class SimulationFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SimulationFailedException()
        : this("a simulated scenario failed")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public SimulationFailedException(string message)
        : base(message)
    {
        Plan = FaultPlan.None;
        TestName = "";
        ReplayCommand = "";
    }

    /// <summary>Creates the exception with a message and the failure.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The failure.</param>
    public SimulationFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Plan = FaultPlan.None;
        TestName = "";
        ReplayCommand = "";
    }

    internal SimulationFailedException(string message, Exception inner, ulong seed, FaultPlan plan, EngineProfile profile, string testName, string replayCommand)
        : base(message, inner)
    {
        Seed = seed;
        Plan = plan;
        Profile = profile;
        TestName = testName;
        ReplayCommand = replayCommand;
        FailingSeeds = [seed];
        SeedsRun = 1;
    }

    // A sweep's report: the first failure in full, then every failing seed and the count.
    internal SimulationFailedException(SimulationFailedException first, IReadOnlyList<ulong> failingSeeds, int seedsRun)
        : base(first.Message + "\n" + SweepLine(failingSeeds, seedsRun), first.InnerException)
    {
        Seed = first.Seed;
        Plan = first.Plan;
        Profile = first.Profile;
        TestName = first.TestName;
        ReplayCommand = first.ReplayCommand;
        FailingSeeds = failingSeeds;
        SeedsRun = seedsRun;
    }

    /// <summary>The seed that failed.</summary>
    public ulong Seed { get; }

    /// <summary>The fault plan of the failed run.</summary>
    public FaultPlan Plan { get; }

    /// <summary>The engine profile.</summary>
    public EngineProfile Profile { get; }

    /// <summary>The test's name, as in the filter.</summary>
    public string TestName { get; }

    /// <summary>The command that replays the failure: <c>SIM_SEED=… dotnet test --filter "FullyQualifiedName~…"</c>.</summary>
    public string ReplayCommand { get; }

    /// <summary>Every seed that failed, in the order run (<see cref="Seed"/> is the first); one seed for a single run.</summary>
    public IReadOnlyList<ulong> FailingSeeds { get; } = [];

    /// <summary>How many seeds ran, failing or not.</summary>
    public int SeedsRun { get; }

    /// <summary>The closing line of a seed-list run: <c>sweep: &lt;failed&gt; of &lt;run&gt; seeds failed: &lt;seeds&gt;</c>.</summary>
    /// <param name="failingSeeds">The seeds that failed.</param>
    /// <param name="seedsRun">How many seeds ran.</param>
    /// <returns>The line.</returns>
    public static string SweepLine(IReadOnlyList<ulong> failingSeeds, int seedsRun) =>
        string.Create(CultureInfo.InvariantCulture,
            $"sweep: {failingSeeds.Count} of {seedsRun} seeds failed{(failingSeeds.Count > 0 ? ": " + string.Join(", ", failingSeeds) : "")}");
}

/// <summary>
/// Runs a user's async scenario in a fresh <see cref="SimulatedWorld"/> per call: built from the seed, the settings'
/// topology and fault plan, with a <see cref="SimulatedFabric"/> of the engine profile; the scenario gets a
/// <see cref="SimulationContext"/> to create typed clients and look at memory and the trace. The world runs on the
/// calling thread in virtual time, so a run is a pure function of its inputs.
/// <para>Seeds: <c>SIM_SEED</c> in the environment replaces the seed of every run (replay); a run without a seed draws
/// one from <see cref="FreshSeed"/>, outside the world, and prints it on failure. On failure the runner throws a
/// <see cref="SimulationFailedException"/> whose message starts with the seed, the plan and the replay command.</para>
/// </summary>
public static class SimulationRunner
{
    /// <summary>Runs a scenario with a seed (or <c>SIM_SEED</c>, when set).</summary>
    /// <param name="seed">The seed.</param>
    /// <param name="profile">The engine profile.</param>
    /// <param name="scenario">The scenario.</param>
    /// <param name="settings">Layout, topology, faults, options; <see cref="SimulationSettings.Default"/> when null.</param>
    /// <param name="testName">The test's name for the replay filter; the calling member by default.</param>
    /// <returns>The run's seed, plan and trace fingerprint.</returns>
    /// <exception cref="SimulationFailedException">The scenario threw, or the world failed (deadlock, livelock).</exception>
    public static SimulationResult Run(ulong seed, EngineProfile profile, Func<SimulationContext, Task> scenario, SimulationSettings? settings = null,
        [CallerMemberName] string testName = "")
    {
        ArgumentNullException.ThrowIfNull(scenario);
        settings ??= SimulationSettings.Default;
        var environment = settings.Environment ?? SimulationEnvironment.FromProcess();
        return RunOnce(environment.ReplaySeed ?? seed, profile, scenario, settings, testName);
    }

    /// <summary>Runs a scenario with a fresh seed from <see cref="FreshSeed"/> (or <c>SIM_SEED</c>, when set).</summary>
    /// <param name="profile">The engine profile.</param>
    /// <param name="scenario">The scenario.</param>
    /// <param name="settings">Layout, topology, faults, options.</param>
    /// <param name="testName">The test's name for the replay filter; the calling member by default.</param>
    /// <returns>The run's result; its seed is the one drawn.</returns>
    /// <exception cref="SimulationFailedException">The scenario failed; the message names the seed drawn.</exception>
    public static SimulationResult Run(EngineProfile profile, Func<SimulationContext, Task> scenario, SimulationSettings? settings = null,
        [CallerMemberName] string testName = "") =>
        Run(FreshSeed(), profile, scenario, settings, testName);

    /// <summary>Runs a scenario once per seed of <see cref="SimulationEnvironment.Seeds"/>: the fixed CI list, plus fresh
    /// seeds when <c>SIM_SWEEP</c> is set, or only <c>SIM_SEED</c> when that is set. Every seed runs, failing or not; when
    /// some failed, the exception carries the first failure in full and ends with the line
    /// <c>sweep: &lt;failed&gt; of &lt;run&gt; seeds failed: &lt;seeds&gt;</c>.</summary>
    /// <param name="ciSeeds">The fixed list CI runs.</param>
    /// <param name="profile">The engine profile.</param>
    /// <param name="scenario">The scenario.</param>
    /// <param name="settings">Layout, topology, faults, options.</param>
    /// <param name="testName">The test's name for the replay filter; the calling member by default.</param>
    /// <returns>One result per seed run.</returns>
    /// <exception cref="SimulationFailedException">Some seeds failed; <see cref="SimulationFailedException.FailingSeeds"/> lists them all.</exception>
    public static IReadOnlyList<SimulationResult> RunSeeds(IReadOnlyList<ulong> ciSeeds, EngineProfile profile, Func<SimulationContext, Task> scenario,
        SimulationSettings? settings = null, [CallerMemberName] string testName = "")
    {
        ArgumentNullException.ThrowIfNull(ciSeeds);
        ArgumentNullException.ThrowIfNull(scenario);
        settings ??= SimulationSettings.Default;
        var environment = settings.Environment ?? SimulationEnvironment.FromProcess();
        var seeds = environment.Seeds(ciSeeds);
        var results = new List<SimulationResult>(seeds.Count);
        SimulationFailedException? first = null;
        var failing = new List<ulong>();
        foreach (var seed in seeds)
        {
            try
            {
                results.Add(RunOnce(seed, profile, scenario, settings, testName));
            }
            catch (SimulationFailedException failure)
            {
                // A sweep reports every failing seed, not only the first: one run says how widespread a bug is.
                first ??= failure;
                failing.Add(seed);
            }
        }

        return first is null ? results : throw new SimulationFailedException(first, failing, seeds.Count);
    }

    /// <summary>
    /// A fresh seed for a run that was given none: drawn from <see cref="System.Random.Shared"/> on the test's thread,
    /// outside every simulated world (nothing inside a world uses it), in 0..2³¹−1 so it is short to type. The runner
    /// prints it on failure; pass it back with <c>SIM_SEED</c> to replay.
    /// </summary>
    /// <returns>The seed.</returns>
    public static ulong FreshSeed() => (ulong)System.Random.Shared.Next(0, int.MaxValue);

    /// <summary>The replay command of a seed and a test: <c>SIM_SEED=&lt;seed&gt; dotnet test --filter "FullyQualifiedName~&lt;test&gt;"</c>.</summary>
    /// <param name="seed">The seed.</param>
    /// <param name="testName">The test's name (a method name, or Class.Method).</param>
    /// <returns>The command.</returns>
    public static string ReplayCommand(ulong seed, string testName) =>
        string.Create(CultureInfo.InvariantCulture, $"SIM_SEED={seed} dotnet test --filter \"FullyQualifiedName~{testName}\"");

    private static SimulationResult RunOnce(ulong seed, EngineProfile profile, Func<SimulationContext, Task> scenario, SimulationSettings settings, string testName)
    {
        var topology = settings.Topology ?? settings.Layout.BuildTopology();
        var plan = settings.Faults?.Invoke(seed, topology) ?? FaultPlan.None;
        using var world = new SimulatedWorld(seed, topology, plan, settings.Options);
        var fabric = new SimulatedFabric(world, profile, settings.DevicePoolBytes);
        var context = new SimulationContext(world, fabric, profile, settings.Layout, testName);
        try
        {
            world.Run(async () =>
            {
                await scenario(context).ConfigureAwait(true);
                await context.DisposeClientsAsync().ConfigureAwait(true);
            });
        }
        catch (Exception ex)
        {
            throw Failure(world, profile, ex, testName);
        }

        return new SimulationResult(seed, plan, profile, world.Trace.HashHex, world.Trace.Count, world.NowNs);
    }

    private static SimulationFailedException Failure(SimulatedWorld world, EngineProfile profile, Exception failure, string testName)
    {
        var replay = ReplayCommand(world.Seed, testName);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"seed={world.Seed} plan={world.Faults} profile={profile} topology={world.Topology.Name} t={SimTime.Format(world.NowNs)}");
        text.Append("\nreproduce: ").Append(replay);
        text.Append("\nfailure: ").Append(failure.GetType().Name).Append(": ").Append(failure.Message);
        if (failure is not SimulationFailureException)
        {
            // The loop's own failures already carry the replay description.
            text.Append('\n').Append(world.DescribeForReplay());
        }

        return new SimulationFailedException(text.ToString(), failure, world.Seed, world.Faults, profile, testName, replay);
    }
}
