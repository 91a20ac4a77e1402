using System.Globalization;
using System.Net;
using LlmDataDist.Simulator;
using LlmDataDist.Simulator.Backend;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Testing;

/// <summary>The outcome of one client call measured in virtual time.</summary>
/// <param name="Status">Success, or the status of the <see cref="LlmDataDistException"/> the call threw.</param>
/// <param name="StartNs">When it started.</param>
/// <param name="EndNs">When it returned.</param>
/// <param name="Error">The exception, when it failed.</param>
public sealed record CallOutcome(LlmStatus Status, long StartNs, long EndNs, LlmDataDistException? Error)
{
    /// <summary>Virtual time the call took.</summary>
    public long ElapsedNs => EndNs - StartNs;

    /// <summary>Whether it succeeded.</summary>
    public bool Succeeded => Status == LlmStatus.Success;
}

/// <summary>
/// What a scenario run by <see cref="SimulationRunner"/> sees: a fresh <see cref="SimulatedWorld"/> and its
/// <see cref="SimulatedFabric"/>, typed clients over simulated instances, virtual time, the test's view of cache memory,
/// and the trace. Everything here runs on the world's loop thread; use <see cref="TimeProvider"/> (or
/// <see cref="DelayAsync"/>) for waits and <see cref="Random"/> for choices, never the wall clock or
/// <see cref="System.Random"/>, so a run stays a function of its seed.
/// </summary>
public sealed class SimulationContext
{
    /// <summary>Port every instance listens on (<see cref="ListenEndpoint"/>).</summary>
    public const ushort ListenPort = 26000;

    private readonly List<LlmDataDistClient> _clients = [];
    private readonly Dictionary<ulong, RecordingBackend> _recorders = [];

    internal SimulationContext(SimulatedWorld world, SimulatedFabric fabric, EngineProfile profile, ClusterLayout layout, string testName)
    {
        World = world;
        Fabric = fabric;
        Profile = profile;
        Layout = layout;
        TestName = testName;
        Random = world.Random.Fork();
    }

    /// <summary>The world.</summary>
    public SimulatedWorld World { get; }

    /// <summary>The LLM-DataDist layer of the world (instances by cluster id, listen endpoints).</summary>
    public SimulatedFabric Fabric { get; }

    /// <summary>The engine profile reproduced.</summary>
    public EngineProfile Profile { get; }

    /// <summary>The deployment the settings named (the topology may have been overridden).</summary>
    public ClusterLayout Layout { get; }

    /// <summary>The test's name, as in the replay command.</summary>
    public string TestName { get; }

    /// <summary>The world's seed.</summary>
    public ulong Seed => World.Seed;

    /// <summary>The world's fault plan.</summary>
    public FaultPlan Plan => World.Faults;

    /// <summary>The world's virtual clock: pass it to <c>Task.Delay</c>, <c>CancellationTokenSource</c>, your own code.</summary>
    public TimeProvider TimeProvider => World.TimeProvider;

    /// <summary>Virtual time now, in ns.</summary>
    public long NowNs => World.NowNs;

    /// <summary>The trace.</summary>
    public Trace Trace => World.Trace;

    /// <summary>A seeded stream for the scenario's own choices (forked from the world's).</summary>
    public SimRandom Random { get; }

    /// <summary>Creates a typed client over a new simulated instance hosted on <paramref name="server"/>, timed by the
    /// world's clock. The runner disposes it (Finalize) when the scenario ends, if the scenario did not.</summary>
    /// <param name="clusterId">The instance's cluster id (unique per world).</param>
    /// <param name="role">Its role.</param>
    /// <param name="server">The server; <c>llm.DeviceId</c> then names an NPU of that server.</param>
    /// <returns>The client.</returns>
    public LlmDataDistClient CreateClient(ulong clusterId, LlmRole role, int server = 0)
    {
        var backend = new RecordingBackend(Fabric.Factory(server).Create(clusterId, role));
        _recorders[clusterId] = backend;
        var client = new LlmDataDistClient(backend, new LlmDataDistClientOptions { TimeProvider = World.TimeProvider });
        _clients.Add(client);
        return client;
    }

    /// <summary>Creates the client of one instance of the layout (its cluster id, role and server).</summary>
    /// <param name="placement">The instance.</param>
    /// <returns>The client.</returns>
    public LlmDataDistClient CreateClient(ClusterPlacement placement)
    {
        ArgumentNullException.ThrowIfNull(placement);
        return CreateClient(placement.ClusterId, placement.Role, placement.Server);
    }

    /// <summary>The simulated instance behind a cluster id, to look at its state (initialized, links, caches).</summary>
    /// <param name="clusterId">The cluster id.</param>
    /// <returns>The instance.</returns>
    public SimulatedBackend Instance(ulong clusterId) =>
        Fabric.InstancesOf(clusterId) is [.., var last] ? last : throw new InvalidOperationException($"no instance has cluster id {clusterId}");

    /// <summary>The C++ names of the calls that reached the backend of the client created for a cluster id, in order:
    /// a call the client rejected is not there.</summary>
    /// <param name="clusterId">The cluster id.</param>
    /// <returns>The names.</returns>
    public IReadOnlyList<string> BackendCalls(ulong clusterId) =>
        _recorders.TryGetValue(clusterId, out var recorder) ? [.. recorder.Calls] : [];

    /// <summary>The listen endpoint this kit gives a cluster id: <c>10.x.y.z:26000</c> from the id's low 24 bits.</summary>
    /// <param name="clusterId">The cluster id.</param>
    /// <returns>The endpoint.</returns>
    public static IPEndPoint ListenEndpoint(ulong clusterId) => new(IPAddress.Parse(Ip(clusterId)), ListenPort);

    /// <summary>The <see cref="ClusterInfo"/> with which <paramref name="fromClusterId"/> links to (or unlinks from) the
    /// instance listening on <see cref="ListenEndpoint"/> of <paramref name="toClusterId"/>.</summary>
    /// <param name="fromClusterId">The calling side.</param>
    /// <param name="toClusterId">The peer.</param>
    /// <returns>The cluster description.</returns>
    public static ClusterInfo LinkTarget(ulong fromClusterId, ulong toClusterId) =>
        new(toClusterId, default, [new IpInfo(Ip(fromClusterId), 0)], [ListenEndpoint(toClusterId)]);

    /// <summary>Initialize options for an instance of the layout: its device id, a listen endpoint when asked, and the
    /// transfer budget.</summary>
    /// <param name="placement">The instance.</param>
    /// <param name="listen">Whether it listens on <see cref="ListenEndpoint"/> (CE prompts must).</param>
    /// <param name="syncKvCacheWaitTime">llm.SyncKvCacheWaitTime; the library default when null.</param>
    /// <returns>The options.</returns>
    public static LlmDataDistOptions OptionsFor(ClusterPlacement placement, bool listen, TimeSpan? syncKvCacheWaitTime = null)
    {
        ArgumentNullException.ThrowIfNull(placement);
        return new LlmDataDistOptions
        {
            DeviceId = placement.DeviceId,
            ListenIpInfo = listen ? ListenEndpoint(placement.ClusterId) : null,
            SyncKvCacheWaitTime = syncKvCacheWaitTime,
        };
    }

    /// <summary>Allocates device memory for every tensor of <paramref name="desc"/> on an NPU (HX caches are caller
    /// memory: register the addresses with <c>RegisterKvCacheAsync</c>).</summary>
    /// <param name="server">The server.</param>
    /// <param name="deviceId">The NPU's device id on that server.</param>
    /// <param name="desc">The descriptor.</param>
    /// <returns>One address per tensor, or null when an allocation failed (a fault); nothing stays allocated then.</returns>
    public ulong[]? AllocateTensors(int server, int deviceId, CacheDesc desc)
    {
        ArgumentNullException.ThrowIfNull(desc);
        var npu = World.Topology.NpusOf(server).Single(n => n.DeviceId == deviceId).Id;
        var space = World.Memory.Device(npu);
        var buffers = new List<SimBuffer>();
        for (var t = 0; t < desc.NumTensors; t++)
        {
            var result = space.Allocate(LlmArbitraries.TensorBytes(desc), string.Create(CultureInfo.InvariantCulture, $"test/t{t}"));
            if (result.Status != AllocationStatus.Success)
            {
                buffers.ForEach(b => space.Free(b));
                return null;
            }

            buffers.Add(result.Buffer!);
        }

        return [.. buffers.Select(b => b.Address)];
    }

    /// <summary>Writes a pattern into every tensor of a cache (see <see cref="CacheBytes.Fill"/>).</summary>
    /// <param name="cache">The cache.</param>
    /// <param name="pattern">Selects the pattern.</param>
    public void Fill(Cache cache, byte pattern) => CacheBytes.Fill(World, cache, pattern);

    /// <summary>Every tensor's bytes, or null when the memory is gone (see <see cref="CacheBytes.TryRead"/>).</summary>
    /// <param name="cache">The cache.</param>
    /// <returns>The bytes, or null.</returns>
    public byte[][]? TryRead(Cache cache) => CacheBytes.TryRead(World, cache);

    /// <summary>Every tensor's bytes.</summary>
    /// <param name="cache">The cache.</param>
    /// <returns>The bytes.</returns>
    /// <exception cref="InvalidOperationException">The memory is gone.</exception>
    public byte[][] Read(Cache cache) => TryRead(cache) ?? throw new InvalidOperationException($"cache {cache?.CacheId}: its memory is gone");

    /// <summary>Waits in virtual time.</summary>
    /// <param name="delay">How long.</param>
    /// <returns>The wait.</returns>
    public Task DelayAsync(TimeSpan delay) => Task.Delay(delay, World.TimeProvider);

    /// <summary>Waits in virtual time until <paramref name="atNs"/> (no wait when it has passed).</summary>
    /// <param name="atNs">Virtual time in ns.</param>
    /// <returns>The wait.</returns>
    public Task DelayUntilAsync(long atNs) => World.Loop.Delay(Math.Max(0, atNs - World.NowNs));

    /// <summary>Runs one client call and measures it in virtual time; an <see cref="LlmDataDistException"/> becomes its
    /// status, any other exception propagates.</summary>
    /// <param name="call">The call.</param>
    /// <returns>The outcome.</returns>
    public async Task<CallOutcome> CallAsync(Func<ValueTask> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var start = World.NowNs;
        try
        {
            await call().ConfigureAwait(true);
            return new CallOutcome(LlmStatus.Success, start, World.NowNs, null);
        }
        catch (LlmDataDistException ex)
        {
            return new CallOutcome(ex.Status, start, World.NowNs, ex);
        }
    }

    /// <summary>Runs one client call that returns a value and measures it (see <see cref="CallAsync(Func{ValueTask})"/>).</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="call">The call.</param>
    /// <returns>The outcome and the value (default on failure).</returns>
    public async Task<(CallOutcome Outcome, T? Value)> CallAsync<T>(Func<ValueTask<T>> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var value = default(T);
        async ValueTask Body() => value = await call().ConfigureAwait(true);
        var outcome = await CallAsync(Body).ConfigureAwait(true);
        return (outcome, value);
    }

    internal async Task DisposeClientsAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync().ConfigureAwait(true);
        }
    }

    private static string Ip(ulong clusterId) =>
        string.Create(CultureInfo.InvariantCulture, $"10.{(clusterId >> 16) & 0xFF}.{(clusterId >> 8) & 0xFF}.{clusterId & 0xFF}");
}
