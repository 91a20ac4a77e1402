using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Backend;

/// <summary>
/// The LLM-DataDist layer of a simulated world: which engine it runs (CE or HX), the memory its caches live in,
/// and the directory of instances by cluster id and listen endpoint that links resolve against.
/// </summary>
public sealed class SimulatedFabric
{
    /// <summary>CE device pool when llm.BufPoolCfg is absent: 1 GiB, the engine's default pool being undocumented.</summary>
    public const long DevicePoolBytesDefault = 1L << 30;

    private readonly Dictionary<string, SimulatedBackend> _listeners = new(StringComparer.Ordinal);

    /// <summary>Setting up a link's communicator beyond its handshake messages: 2 ms, a choice (no published figure).</summary>
    public const long LinkSetupNsDefault = 2_000_000;

    /// <summary>Bytes of one control message (link handshake, unlink notice, remote cache-table request).</summary>
    public const long ControlMessageBytes = 512;

    private readonly Dictionary<ulong, List<SimulatedBackend>> _byClusterId = [];

    /// <summary>Creates the layer over a world's loop, topology, memory and network.</summary>
    /// <param name="loop">The event loop (virtual time).</param>
    /// <param name="topology">Servers and NPUs.</param>
    /// <param name="memory">The memory caches are allocated in and registered from.</param>
    /// <param name="network">Prices transfers and carries link faults.</param>
    /// <param name="profile">The engine to reproduce.</param>
    /// <param name="faults">The fault injector, if any.</param>
    /// <param name="trace">Where calls are recorded, if anywhere.</param>
    /// <param name="devicePoolBytesDefault">The CE device pool when Initialize gives no llm.BufPoolCfg.</param>
    public SimulatedFabric(SimLoop loop, Topology topology, MemorySystem memory, Network network, EngineProfile profile = EngineProfile.CE,
        FaultInjector? faults = null, Trace? trace = null, long devicePoolBytesDefault = DevicePoolBytesDefault)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(devicePoolBytesDefault);
        Loop = loop;
        Topology = topology;
        Memory = memory;
        Network = network;
        Profile = profile;
        Faults = faults;
        Trace = trace;
        PoolBytesDefault = devicePoolBytesDefault;
    }

    /// <summary>Creates the layer over a world, following its crash faults: a crashed cluster loses its state without
    /// telling its peers (they become half-open) and, when the plan restarts it, initializes again with its options.</summary>
    /// <param name="world">The world.</param>
    /// <param name="profile">The engine to reproduce.</param>
    /// <param name="devicePoolBytesDefault">The CE device pool when Initialize gives no llm.BufPoolCfg.</param>
    public SimulatedFabric(SimulatedWorld world, EngineProfile profile = EngineProfile.CE, long devicePoolBytesDefault = DevicePoolBytesDefault)
        : this(Required(world).Loop, world.Topology, world.Memory, world.Network, profile, world.Injector, world.Trace, devicePoolBytesDefault)
    {
        world.Injector.ClusterStateChanged += OnClusterStateChanged;
    }

    /// <summary>The event loop.</summary>
    public SimLoop Loop { get; }

    /// <summary>The network that prices transfers.</summary>
    public Network Network { get; }

    /// <summary>The fault injector, if any.</summary>
    public FaultInjector? Faults { get; }

    /// <summary>The trace, if any.</summary>
    public Trace? Trace { get; }

    /// <summary>Extra time a link set-up takes beyond its handshake messages.</summary>
    public long LinkSetupNs { get; init; } = LinkSetupNsDefault;

    /// <summary>The engine reproduced.</summary>
    public EngineProfile Profile { get; }

    /// <summary>Servers and NPUs.</summary>
    public Topology Topology { get; }

    /// <summary>Device and host memory.</summary>
    public MemorySystem Memory { get; }

    /// <summary>The CE device pool when Initialize gives no llm.BufPoolCfg.</summary>
    public long PoolBytesDefault { get; }

    /// <summary>A factory of instances hosted on one server: <c>llm.DeviceId</c> names an NPU of that server.</summary>
    /// <param name="server">The server index.</param>
    /// <returns>The factory.</returns>
    public ILlmDataDistBackendFactory Factory(int server = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(server);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(server, Topology.Servers.Count);
        return new SimulatedBackendFactory(this, server);
    }

    /// <summary>Binds a listen endpoint; false when another instance holds it (the engine's bind fails).</summary>
    internal bool TryListen(string endpoint, SimulatedBackend owner) =>
        _listeners.TryAdd(endpoint, owner) || ReferenceEquals(_listeners[endpoint], owner);

    internal void StopListening(string endpoint, SimulatedBackend owner)
    {
        if (_listeners.TryGetValue(endpoint, out var current) && ReferenceEquals(current, owner))
        {
            _listeners.Remove(endpoint);
        }
    }

    internal SimulatedBackend? ListenerAt(string endpoint) => _listeners.GetValueOrDefault(endpoint);

    private static SimulatedWorld Required(SimulatedWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        return world;
    }

    private void OnClusterStateChanged(ulong clusterId, bool crashed)
    {
        foreach (var instance in InstancesOf(clusterId))
        {
            if (crashed)
            {
                instance.Crash();
            }
            else
            {
                instance.Restart();
            }
        }
    }

    internal void Register(SimulatedBackend backend)
    {
        if (!_byClusterId.TryGetValue(backend.ClusterId, out var list))
        {
            _byClusterId[backend.ClusterId] = list = [];
        }

        list.Add(backend);
    }

    /// <summary>Instances created with a cluster id, in creation order (ids should be unique; the docs require it).</summary>
    /// <param name="clusterId">The id.</param>
    /// <returns>The instances.</returns>
    public IReadOnlyList<SimulatedBackend> InstancesOf(ulong clusterId) => _byClusterId.GetValueOrDefault(clusterId) ?? [];

    /// <summary>
    /// Engine transfers between NPUs of one HCCS domain go over RoCE instead of HCCS, as with
    /// <c>HCCL_INTRA_ROCE_ENABLE=1</c> (A3: inside a super-node; A2: inside a server). Off by default.
    /// </summary>
    public bool RoceInsideHccsDomain { get; init; }

    /// <summary>Moves bytes between two NPUs; a transfer that would end after the deadline ends at it, timed out.</summary>
    internal Task<TransferOutcome> TransferAsync(int sourceNpu, int destinationNpu, long bytes, int blocks, long deadlineNs, CancellationToken cancellationToken) =>
        Network.TransferAsync(sourceNpu, destinationNpu, bytes, blocks, deadlineNs, cancellationToken);

    /// <summary>Moves KV bytes between two NPUs over the engine path the instance uses, priced by that path's
    /// calibrated timing in the given direction (<see cref="Topology.FindRoute(int, int, TransferPath, TransferDirection, LinkKind?)"/>).</summary>
    internal Task<TransferOutcome> TransferAsync(int sourceNpu, int destinationNpu, long bytes, int blocks, TransferPath path, TransferDirection direction,
        long deadlineNs, CancellationToken cancellationToken)
    {
        // The topology and its pricing never change, so each route is found once: building it per transfer (hops, arrays,
        // the calibrated timing) was several percent of a long run.
        if (!_routes.TryGetValue((sourceNpu, destinationNpu, path, direction), out var route))
        {
            route = Topology.FindRoute(sourceNpu, destinationNpu, path, direction, RoceInsideHccsDomain ? LinkKind.Roce : null);
            _routes.Add((sourceNpu, destinationNpu, path, direction), route);
        }

        return Network.TransferAsync(route, bytes, blocks, deadlineNs, cancellationToken);
    }

    private readonly Dictionary<(int Source, int Destination, TransferPath Path, TransferDirection Direction), Route> _routes = [];

    private (string, string)[] _traceArgs = new (string, string)[8];

    /// <summary>Records a call in the trace.</summary>
    internal void TraceCall(SimulatedBackend backend, long startNs, string operation, LlmStatus status, params ReadOnlySpan<(string Key, string Value)> args)
    {
        if (Trace is null)
        {
            return;
        }

        var actor = backend.Npu is { } npu ? TraceActor.Npu(Topology.Npus[npu]) : TraceActor.Host(backend.Server);
        // A scratch array, not one per call: the trace copies what it keeps, and calls on the loop never nest here.
        var all = _traceArgs.Length >= args.Length + 2 ? _traceArgs : _traceArgs = new (string, string)[args.Length + 2];
        all[0] = ("cluster", backend.ClusterIdText);
        all[1] = ("status", status.IsKnown() ? status.ToString() : "0x" + ((uint)status).ToString("X8", System.Globalization.CultureInfo.InvariantCulture));
        args.CopyTo(all.AsSpan(2));
        Trace.AddComplete(startNs, Loop.NowNs, "call", operation, actor, all.AsSpan(0, args.Length + 2));
    }

    /// <summary>Flags a moment of a call in the trace (an UB→sim substitute, a partial effect) with the reason.</summary>
    internal void TraceFlag(SimulatedBackend backend, string name, string reason)
    {
        var actor = backend.Npu is { } npu ? TraceActor.Npu(Topology.Npus[npu]) : TraceActor.Host(backend.Server);
        Trace?.Instant(Loop.NowNs, "semantics", name, actor, ("cluster", backend.ClusterId.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("reason", reason));
    }

    private sealed class SimulatedBackendFactory(SimulatedFabric fabric, int server) : ILlmDataDistBackendFactory
    {
        public ILlmDataDistBackend Create(ulong clusterId, LlmRole role)
        {
            var backend = new SimulatedBackend(fabric, server, clusterId, role);
            fabric.Register(backend);
            return backend;
        }
    }
}
