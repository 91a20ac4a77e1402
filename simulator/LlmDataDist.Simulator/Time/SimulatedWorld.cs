using System.Text;

namespace LlmDataDist.Simulator;

/// <summary>
/// Everything a simulated run needs, built from (seed, topology, fault plan, options): the event loop and its
/// <see cref="TimeProvider"/>, seeded randomness, the fault injector, the network, device and host memory, and the
/// trace. A run is a pure function of those inputs and the calls made inside <see cref="RunAsync"/>.
/// </summary>
/// <remarks>
/// The root <see cref="SimRandom"/> is forked in a fixed order: faults, network (then once per link), then
/// <see cref="Random"/> for the backend and user code. Adding draws in one consumer never shifts another's stream.
/// </remarks>
public sealed class SimulatedWorld : IDisposable
{
    /// <summary>Creates a world at virtual time zero.</summary>
    /// <param name="seed">The seed of every random decision.</param>
    /// <param name="topology">Servers, NPUs and links.</param>
    /// <param name="faults">The fault plan; <see cref="FaultPlan.None"/> by default.</param>
    /// <param name="options">Options; <see cref="SimulationOptions.Default"/> by default.</param>
    public SimulatedWorld(ulong seed, Topology topology, FaultPlan? faults = null, SimulationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(topology);
        Seed = seed;
        Topology = topology;
        Faults = faults ?? FaultPlan.None;
        Options = options ?? SimulationOptions.Default;
        Loop = new SimLoop(Options.StepsMax);
        TimeProvider = new SimTimeProvider(Loop);
        Trace = new Trace(Options.KeepTraceEvents);
        var root = new SimRandom(seed);
        Injector = new FaultInjector(Faults, topology, root.Fork());
        Network = new Network(Loop, topology, root.Fork(), Injector, Trace, Options.Jitter);
        Random = root.Fork();
        Memory = new MemorySystem(topology, Options.MetadataOnly, Injector, Loop, Trace);
        Injector.Arm(Loop, Network, Trace);
        Loop.FailureDetails = DescribeForReplay;
    }

    /// <summary>The seed.</summary>
    public ulong Seed { get; }

    /// <summary>The topology.</summary>
    public Topology Topology { get; }

    /// <summary>The fault plan.</summary>
    public FaultPlan Faults { get; }

    /// <summary>The options.</summary>
    public SimulationOptions Options { get; }

    /// <summary>The event loop (virtual clock, scheduling, waits).</summary>
    public SimLoop Loop { get; }

    /// <summary>Virtual time for user code: pass it to <c>Task.Delay</c>, <c>CancellationTokenSource</c>, clients.</summary>
    public SimTimeProvider TimeProvider { get; }

    /// <summary>The current virtual time in ns.</summary>
    public long NowNs => Loop.NowNs;

    /// <summary>A stream for the backend and user code (fork it further per consumer).</summary>
    public SimRandom Random { get; }

    /// <summary>Applies the fault plan; backends ask it about crashes and link establishment.</summary>
    public FaultInjector Injector { get; }

    /// <summary>Links and transfers.</summary>
    public Network Network { get; }

    /// <summary>Device and host memory.</summary>
    public MemorySystem Memory { get; }

    /// <summary>Every visible step, and its hash.</summary>
    public Trace Trace { get; }

    /// <summary>Runs <paramref name="scenario"/> on the loop until it completes; the loop pumps synchronously on the
    /// calling thread, so the returned task is already complete (it exists so tests can <c>await</c> it).</summary>
    /// <param name="scenario">The code to run.</param>
    /// <returns>A completed task, or one faulted with the scenario's exception or a <see cref="SimulationFailureException"/>.</returns>
    public Task RunAsync(Func<Task> scenario)
    {
        try
        {
            Loop.Run(scenario);
            return Task.CompletedTask;
        }
        catch (Exception ex)
        {
            return Task.FromException(ex);
        }
    }

    /// <summary>Runs <paramref name="scenario"/> on the loop until it completes (see <see cref="RunAsync"/>).</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="scenario">The code to run.</param>
    /// <returns>A completed task with the scenario's result.</returns>
    public Task<T> RunAsync<T>(Func<Task<T>> scenario)
    {
        try
        {
            return Task.FromResult(Loop.Run(scenario));
        }
        catch (Exception ex)
        {
            return Task.FromException<T>(ex);
        }
    }

    /// <summary>Runs <paramref name="scenario"/> on the loop until it completes, synchronously.</summary>
    /// <param name="scenario">The code to run.</param>
    public void Run(Func<Task> scenario) => Loop.Run(scenario);

    /// <summary>Runs <paramref name="scenario"/> on the loop until it completes, synchronously.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="scenario">The code to run.</param>
    /// <returns>The scenario's result.</returns>
    public T Run<T>(Func<Task<T>> scenario) => Loop.Run(scenario);

    /// <summary>Seed, plan, topology, time and trace tail: what a failure report needs for replay.</summary>
    /// <returns>The text.</returns>
    public string DescribeForReplay()
    {
        var text = new StringBuilder();
        text.Append("seed=").Append(Seed).Append(" topology=").Append(Topology.Name).Append(" plan=").Append(Faults);
        text.Append(" trace=").Append(Trace.HashHex).Append(" events=").Append(Trace.Count);
        var tail = Trace.Tail(Options.TraceTailLines);
        if (tail.Count > 0)
        {
            text.Append("\ntrace tail:");
            foreach (var line in tail)
            {
                text.Append("\n  ").Append(line);
            }
        }

        return text.ToString();
    }

    /// <summary>Returns pooled buffers.</summary>
    public void Dispose() => Memory.Dispose();
}
