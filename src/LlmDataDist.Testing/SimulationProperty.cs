using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using FsCheck;
using FsCheck.Fluent;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Testing;

/// <summary>
/// FsCheck entry points: properties whose world seed FsCheck draws from <see cref="LlmArbitraries.Seeds"/>, so a failure
/// shrinks toward a small seed (and, with an argument arbitrary, toward a simple argument). Each case runs through
/// <see cref="SimulationRunner"/>, so a failing case reports <c>seed=… plan=…</c> and the replay command; with
/// <c>SIM_SEED</c> set, the property runs that one seed once.
/// </summary>
/// <example><code>
/// [Property(MaxTest = 20)]
/// public Property Pulls_move_exact_bytes() =&gt; SimulationProperty.ForAllSeeds(EngineProfile.CE, async sim =&gt; { … });
/// </code></example>
public static class SimulationProperty
{
    /// <summary>A property over world seeds.</summary>
    /// <param name="profile">The engine profile.</param>
    /// <param name="scenario">The scenario; throw (e.g. an assertion) to fail.</param>
    /// <param name="settings">Layout, topology, faults, options.</param>
    /// <param name="seedMax">Seeds are drawn from 0..seedMax.</param>
    /// <param name="testName">The test's name for the replay filter; the calling member by default.</param>
    /// <returns>The property.</returns>
    public static Property ForAllSeeds(EngineProfile profile, Func<SimulationContext, Task> scenario, SimulationSettings? settings = null,
        int seedMax = 1 << 20, [CallerMemberName] string testName = "")
    {
        ArgumentNullException.ThrowIfNull(scenario);
        settings ??= SimulationSettings.Default;
        var environment = settings.Environment ?? SimulationEnvironment.FromProcess();
        if (environment.ReplaySeed is { } replay)
        {
            // FsCheck evaluates a property without arguments many times: run the world once and replay its outcome.
            var once = new Lazy<ExceptionDispatchInfo?>(() =>
            {
                try
                {
                    SimulationRunner.Run(replay, profile, scenario, settings, testName);
                    return null;
                }
                catch (SimulationFailedException ex)
                {
                    return ExceptionDispatchInfo.Capture(ex);
                }
            });
            return Prop.ToProperty(() => once.Value?.Throw());
        }

        return Prop.ForAll(LlmArbitraries.Seeds(seedMax), seed => { SimulationRunner.Run(seed, profile, scenario, settings, testName); });
    }

    /// <summary>A property over world seeds and values of <paramref name="arbitrary"/> (both shrink).</summary>
    /// <typeparam name="T">The generated value's type.</typeparam>
    /// <param name="arbitrary">Generates and shrinks the value, e.g. <see cref="LlmArbitraries.ClusterLayouts"/>.</param>
    /// <param name="profile">The engine profile.</param>
    /// <param name="scenario">The scenario, given the value.</param>
    /// <param name="settingsFor">Settings for a value (e.g. <c>SimulationSettings.For(layout)</c>); defaults when null.</param>
    /// <param name="seedMax">Seeds are drawn from 0..seedMax.</param>
    /// <param name="testName">The test's name for the replay filter; the calling member by default.</param>
    /// <returns>The property.</returns>
    public static Property ForAll<T>(Arbitrary<T> arbitrary, EngineProfile profile, Func<SimulationContext, T, Task> scenario,
        Func<T, SimulationSettings>? settingsFor = null, int seedMax = 1 << 20, [CallerMemberName] string testName = "")
    {
        ArgumentNullException.ThrowIfNull(arbitrary);
        ArgumentNullException.ThrowIfNull(scenario);
        settingsFor ??= _ => SimulationSettings.Default;
        return Prop.ForAll(LlmArbitraries.Seeds(seedMax), arbitrary, (seed, value) =>
        {
            SimulationRunner.Run(seed, profile, sim => scenario(sim, value), settingsFor(value), testName);
        });
    }
}
