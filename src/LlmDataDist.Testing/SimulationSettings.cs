using LlmDataDist.Simulator;
using LlmDataDist.Simulator.Backend;

namespace LlmDataDist.Testing;

/// <summary>What a <see cref="SimulationRunner"/> run builds its world from, besides the seed and the engine profile.</summary>
public sealed record SimulationSettings
{
    /// <summary>1P1D on two A2 servers, no faults, default simulation options, the process environment.</summary>
    public static SimulationSettings Default { get; } = new();

    /// <summary>The deployment; its <see cref="ClusterLayout.BuildTopology"/> is the world's topology unless
    /// <see cref="Topology"/> is set.</summary>
    public ClusterLayout Layout { get; init; } = ClusterLayout.OnePromptOneDecoder;

    /// <summary>A topology to use instead of the layout's.</summary>
    public Topology? Topology { get; init; }

    /// <summary>The fault plan of a run, from its seed and topology; no faults when null.</summary>
    public Func<ulong, Topology, FaultPlan>? Faults { get; init; }

    /// <summary>Simulation options (step budget, trace, jitter).</summary>
    public SimulationOptions Options { get; init; } = SimulationOptions.Default;

    /// <summary>The CE device pool when Initialize gives no <c>llm.BufPoolCfg</c>.</summary>
    public long DevicePoolBytes { get; init; } = SimulatedFabric.DevicePoolBytesDefault;

    /// <summary>Where <c>SIM_SEED</c> and <c>SIM_SWEEP</c> come from; the process environment when null.</summary>
    public SimulationEnvironment? Environment { get; init; }

    /// <summary>These settings for a layout.</summary>
    /// <param name="layout">The deployment.</param>
    /// <returns>The settings.</returns>
    public static SimulationSettings For(ClusterLayout layout) => Default with { Layout = layout ?? throw new ArgumentNullException(nameof(layout)) };

    /// <summary>These settings with one fixed fault plan for every seed.</summary>
    /// <param name="plan">The plan.</param>
    /// <returns>The settings.</returns>
    public SimulationSettings WithFaults(FaultPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return this with { Faults = (_, _) => plan };
    }

    /// <summary>These settings with <see cref="FaultPlan.Chaos"/> of each run's seed over every NPU of the topology and
    /// every cluster of the layout (swarm testing: each seed enables a random subset of fault kinds).</summary>
    /// <param name="horizonNs">Faults start within this much virtual time.</param>
    /// <param name="crashes">Whether crashes and refused link set-ups may target the layout's clusters.</param>
    /// <returns>The settings.</returns>
    public SimulationSettings WithChaos(long horizonNs = 100 * SimTime.NsPerMs, bool crashes = true)
    {
        IReadOnlyList<ulong> clusters = crashes ? Layout.ClusterIds : [];
        return this with { Faults = (seed, topology) => FaultPlan.Chaos(seed, topology.Npus.Count, clusters, horizonNs) };
    }

    /// <summary>These settings with an explicit environment (tests of replay behaviour, or a pinned CI environment).</summary>
    /// <param name="environment">The environment.</param>
    /// <returns>The settings.</returns>
    public SimulationSettings WithEnvironment(SimulationEnvironment environment) => this with { Environment = environment ?? throw new ArgumentNullException(nameof(environment)) };
}
