using System.Globalization;
using System.Runtime.CompilerServices;
using FsCheck;
using FsCheck.Fluent;
using LlmDataDist.Simulator;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Testing;

/// <summary>What a scheduler under test runs against: linked prompts and decoders, a KV pool each, virtual time.</summary>
public sealed class KvDeployment
{
    internal KvDeployment(SimulationContext simulation, IReadOnlyList<KvInstance> prompts, IReadOnlyList<KvInstance> decoders)
    {
        Simulation = simulation;
        Prompts = prompts;
        Decoders = decoders;
    }

    /// <summary>The simulated world (time, trace, randomness).</summary>
    public SimulationContext Simulation { get; }

    /// <summary>The prompt instances; each listens, and every decoder is linked to each.</summary>
    public IReadOnlyList<KvInstance> Prompts { get; }

    /// <summary>The decoder instances, each linked to every prompt.</summary>
    public IReadOnlyList<KvInstance> Decoders { get; }

    /// <summary>Blocks in each decoder pool (rows of its cache).</summary>
    public int DecoderBlocks => (int)Decoders[0].Cache.CacheDesc.Shape[0];

    /// <summary>The cluster description a decoder links to (and force-unlinks from) a prompt with.</summary>
    /// <param name="decoderClusterId">The decoder.</param>
    /// <param name="promptClusterId">The prompt.</param>
    /// <returns>The description.</returns>
    public static ClusterInfo DecoderToPrompt(ulong decoderClusterId, ulong promptClusterId) => SimulationContext.LinkTarget(decoderClusterId, promptClusterId);

    /// <summary>The cluster description a prompt force-unlinks its side of a decoder's link with.</summary>
    /// <param name="promptClusterId">The prompt.</param>
    /// <param name="decoderClusterId">The decoder.</param>
    /// <returns>The description.</returns>
    public static ClusterInfo PromptToDecoder(ulong promptClusterId, ulong decoderClusterId) => SimulationContext.LinkTarget(promptClusterId, decoderClusterId);

    /// <summary>The client of a cluster id.</summary>
    /// <param name="clusterId">The cluster id.</param>
    /// <returns>Its client.</returns>
    public LlmDataDistClient Client(ulong clusterId) => Prompts.Concat(Decoders).Single(i => i.ClusterId == clusterId).Client;

    /// <summary>A tracker of a decoder's pool, next to the scheduler's own view of it.</summary>
    /// <param name="decoderClusterId">The decoder.</param>
    /// <param name="freeBlocks">The scheduler's free blocks of that pool.</param>
    /// <param name="quarantinedBlocks">The scheduler's quarantined blocks, if it keeps any.</param>
    /// <returns>The tracker.</returns>
    public KvBlockTracker Track(ulong decoderClusterId, Func<IEnumerable<ulong>> freeBlocks, Func<IEnumerable<ulong>>? quarantinedBlocks = null) =>
        new(Simulation, decoderClusterId, Decoders.Single(d => d.ClusterId == decoderClusterId).Cache.CacheId, freeBlocks, quarantinedBlocks);
}

/// <summary>The deployment, faults and timing of a reuse-safety run.</summary>
public sealed record ReuseSafetySettings
{
    /// <summary>2P1D on two A2 servers; prompt 1's RoCE port is down from 25 to 55 ms; timed-out pulls keep landing.</summary>
    public static ReuseSafetySettings Default { get; } = new();

    /// <summary>The deployment: decoders share one pool across links to several prompts, which is where reuse bites.</summary>
    public ClusterLayout Layout { get; init; } = new(ServerKind.A2, Prompts: 2, Decoders: 1);

    /// <summary>Blocks in each decoder pool.</summary>
    public int DecoderBlocks { get; init; } = 16;

    /// <summary>llm.SyncKvCacheWaitTime of every instance, in ms: the budget after which a pull returns its timeout.</summary>
    public int SyncWaitMs { get; init; } = 20;

    /// <summary>Requests start arriving at this virtual time (set-up must be done by then), in ms.</summary>
    public int ArrivalsStartMs { get; init; } = 20;

    /// <summary>The fault plan of a run from its seed and topology: by default prompt 1's RoCE transmit port is down from
    /// 25 to 55 ms, and every pull that times out keeps landing (3 blocks in 4, within 40 ms) until its link is torn down.</summary>
    public Func<ulong, Topology, FaultPlan> Faults { get; init; } = (_, _) => FaultPlan.Scripted(
        new LinkDownFault("npu0.roce.tx", 25 * SimTime.NsPerMs, 30 * SimTime.NsPerMs),
        new LateLandingFault(Ratio.One, new Ratio(3, 4), 40 * SimTime.NsPerMs));

    /// <summary>Where <c>SIM_SEED</c> and <c>SIM_SWEEP</c> come from; the process environment when null.</summary>
    public SimulationEnvironment? Environment { get; init; }

    internal SimulationSettings Simulation => SimulationSettings.For(Layout) with { Faults = Faults, Environment = Environment };
}

/// <summary>
/// The reuse-safety property: a user's scheduler serves a workload while pulls time out and keep landing (a
/// <see cref="LateLandingFault"/>); it fails, with the seed, the workload and the replay line, when a request is served
/// with KV bytes that differ from what its prompt produced — typically because blocks of a timed-out pull went back to
/// the pool before the link that carried it was torn down, and the late bytes landed on the next request's KV.
/// </summary>
/// <example><code>
/// [Property(MaxTest = 100)]
/// public Property My_scheduler_never_serves_foreign_kv() =&gt;
///     ReuseSafety.Property(EngineProfile.CE, deployment =&gt; new MyScheduler(deployment));
/// </code></example>
public static class ReuseSafety
{
    private const int PromptBlocks = 64;

    /// <summary>Workloads of 1..<paramref name="requestsMax"/> requests over <paramref name="prompts"/> prompts,
    /// shrinking toward fewer requests, fewer blocks, shorter gaps and shorter service.</summary>
    /// <param name="prompts">Prompts requests may come from.</param>
    /// <param name="requestsMax">At most this many requests.</param>
    /// <param name="blocksMax">Blocks per request, at most.</param>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<KvWorkload> Workloads(int prompts = 2, int requestsMax = 12, int blocksMax = 4)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(prompts);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requestsMax);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blocksMax);
        var request =
            from prompt in Gen.Choose(0, prompts - 1)
            from blocks in Gen.Choose(1, blocksMax)
            from gap in Gen.Choose(0, 10)
            from serve in Gen.Choose(1, 60)
            select new KvWorkloadRequest(prompt, blocks, gap, serve);
        var gen = from count in Gen.Choose(1, requestsMax)
                  from requests in Gen.ArrayOf(request, count)
                  select new KvWorkload(requests);
        return Arb.From(gen, Shrink);
    }

    /// <summary>The property over seeds and workloads (both shrink). Each case runs through
    /// <see cref="SimulationRunner"/>, so a failure reports <c>seed=… plan=…</c>, the replay command and the workload.</summary>
    /// <param name="profile">The engine profile.</param>
    /// <param name="scheduler">Creates the scheduler under test for a fresh deployment.</param>
    /// <param name="settings">Deployment, faults, timing; <see cref="ReuseSafetySettings.Default"/> when null.</param>
    /// <param name="workloads">The workloads; <see cref="Workloads"/> over the layout's prompts when null.</param>
    /// <param name="testName">The test's name for the replay filter; the calling member by default.</param>
    /// <returns>The property.</returns>
    public static Property Property(EngineProfile profile, Func<KvDeployment, IKvScheduler> scheduler, ReuseSafetySettings? settings = null,
        Arbitrary<KvWorkload>? workloads = null, [CallerMemberName] string testName = "")
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        settings ??= ReuseSafetySettings.Default;
        workloads ??= Workloads(settings.Layout.Prompts);
        return SimulationProperty.ForAll(workloads, profile, (sim, workload) => RunAsync(sim, workload, scheduler, settings),
            _ => settings.Simulation, testName: testName);
    }

    /// <summary>The workload a sweep seed stands for: drawn from the seed alone (the same ranges as <see cref="Workloads"/>),
    /// so <c>SIM_SEED</c> replays a sweep failure with nothing else to copy.</summary>
    /// <param name="seed">The seed.</param>
    /// <param name="prompts">Prompts requests may come from.</param>
    /// <param name="requestsMax">At most this many requests.</param>
    /// <param name="blocksMax">Blocks per request, at most.</param>
    /// <returns>The workload.</returns>
    public static KvWorkload WorkloadOf(ulong seed, int prompts = 2, int requestsMax = 12, int blocksMax = 4)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(prompts);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requestsMax);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blocksMax);
        // Its own stream of the seed: the world's streams of the same seed are untouched.
        var r = new SimRandom(seed ^ 0xC2B2_AE3D_27D4_EB4FUL);
        var count = 1 + (int)r.Below((ulong)requestsMax);
        return new KvWorkload([.. Enumerable.Range(0, count).Select(_ => new KvWorkloadRequest(
            (int)r.Below((ulong)prompts), 1 + (int)r.Below((ulong)blocksMax), (int)r.Below(11), 1 + (int)r.Below(60)))]);
    }

    /// <summary>A seed sweep: one run per seed of <see cref="SimulationEnvironment.Seeds"/> (the fixed CI list, plus fresh
    /// seeds under <c>SIM_SWEEP</c>, or only <c>SIM_SEED</c>), each with <see cref="WorkloadOf"/> its seed. Every seed
    /// runs; failures end with the line <c>sweep: &lt;failed&gt; of &lt;run&gt; seeds failed: …</c>.</summary>
    /// <param name="ciSeeds">The fixed list CI runs.</param>
    /// <param name="profile">The engine profile.</param>
    /// <param name="scheduler">Creates the scheduler under test.</param>
    /// <param name="settings">Deployment, faults, timing; <see cref="ReuseSafetySettings.Default"/> when null.</param>
    /// <param name="testName">The test's name for the replay filter; the calling member by default.</param>
    /// <returns>One result per seed.</returns>
    /// <exception cref="SimulationFailedException">Some seeds failed; it lists them all.</exception>
    public static IReadOnlyList<SimulationResult> RunSeeds(IReadOnlyList<ulong> ciSeeds, EngineProfile profile, Func<KvDeployment, IKvScheduler> scheduler,
        ReuseSafetySettings? settings = null, [CallerMemberName] string testName = "")
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        settings ??= ReuseSafetySettings.Default;
        var prompts = settings.Layout.Prompts;
        return SimulationRunner.RunSeeds(ciSeeds, profile, sim => RunAsync(sim, WorkloadOf(sim.Seed, prompts), scheduler, settings), settings.Simulation, testName);
    }

    /// <summary>One run of one seed and workload: what a printed counterexample replays.</summary>
    /// <param name="seed">The world's seed.</param>
    /// <param name="workload">The workload (<see cref="KvWorkload.Parse"/> reads the printed form).</param>
    /// <param name="profile">The engine profile.</param>
    /// <param name="scheduler">Creates the scheduler under test.</param>
    /// <param name="settings">Deployment, faults, timing; <see cref="ReuseSafetySettings.Default"/> when null.</param>
    /// <param name="testName">The test's name for the replay filter; the calling member by default.</param>
    /// <returns>The run's result.</returns>
    /// <exception cref="SimulationFailedException">A request was served with foreign KV, or the scheduler threw.</exception>
    public static SimulationResult Run(ulong seed, KvWorkload workload, EngineProfile profile, Func<KvDeployment, IKvScheduler> scheduler,
        ReuseSafetySettings? settings = null, [CallerMemberName] string testName = "")
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(scheduler);
        settings ??= ReuseSafetySettings.Default;
        return SimulationRunner.Run(seed, profile, sim => RunAsync(sim, workload, scheduler, settings), settings.Simulation, testName);
    }

    /// <summary>Sets up the deployment, runs the workload through the scheduler, and checks every request's KV on its
    /// decoder when placed and again when its service ends.</summary>
    /// <param name="sim">The scenario's context (its layout must be the settings' layout).</param>
    /// <param name="workload">The workload.</param>
    /// <param name="scheduler">Creates the scheduler under test.</param>
    /// <param name="settings">Deployment and timing.</param>
    /// <returns>When every request is done.</returns>
    /// <exception cref="ReuseSafetyException">A request's KV on its decoder differs from its prompt's.</exception>
    public static async Task RunAsync(SimulationContext sim, KvWorkload workload, Func<KvDeployment, IKvScheduler> scheduler, ReuseSafetySettings settings)
    {
        ArgumentNullException.ThrowIfNull(sim);
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(settings);
        var deployment = await SetUpAsync(sim, settings).ConfigureAwait(true);
        var start = settings.ArrivalsStartMs * SimTime.NsPerMs;
        if (sim.NowNs > start)
        {
            throw new InvalidOperationException($"set-up ended at {SimTime.Format(sim.NowNs)}, after the first arrival at {SimTime.Format(start)}: raise ArrivalsStartMs");
        }

        await sim.DelayUntilAsync(start).ConfigureAwait(true);
        var under = scheduler(deployment);
        var nextRow = new int[deployment.Prompts.Count];
        var requests = new List<Task>();
        for (var i = 0; i < workload.Requests.Count; i++)
        {
            var w = workload.Requests[i];
            await sim.DelayAsync(TimeSpan.FromMilliseconds(w.GapMs)).ConfigureAwait(true);
            var p = w.Prompt % deployment.Prompts.Count;
            var prompt = deployment.Prompts[p];
            // Every request gets prompt blocks of its own: a late landing reads its source when it lands.
            var rows = Enumerable.Range(nextRow[p], w.Blocks).Select(r => (ulong)(r % PromptBlocks)).ToArray();
            nextRow[p] += w.Blocks;
            requests.Add(ServeAsync(sim, under, new KvRequest(i, prompt.ClusterId, prompt.Cache, rows), w, deployment));
        }

        try
        {
            foreach (var request in requests)
            {
                await request.ConfigureAwait(true);
            }
        }
        catch (ReuseSafetyException ex)
        {
            throw new ReuseSafetyException(string.Create(CultureInfo.InvariantCulture,
                $"{ex.Message}\nworkload: {workload}\nreplay: ReuseSafety.Run({sim.Seed}, KvWorkload.Parse(\"{workload}\"), EngineProfile.{sim.Profile}, yourScheduler)"), ex);
        }
    }

    private static async Task ServeAsync(SimulationContext sim, IKvScheduler scheduler, KvRequest request, KvWorkloadRequest w, KvDeployment deployment)
    {
        for (var j = 0; j < request.PromptBlocks.Count; j++)
        {
            WriteRow(sim, request.PromptCache, request.PromptBlocks[j], Pattern(request.Id, j, RowBytes(request.PromptCache)));
        }

        var placement = await scheduler.PlaceAsync(request).ConfigureAwait(true);
        if (placement is null)
        {
            return; // not placed: nothing was served
        }

        var decoder = deployment.Decoders.Single(d => d.ClusterId == placement.DecoderClusterId);
        Check(sim, request, placement, decoder, "placed");
        await sim.DelayAsync(TimeSpan.FromMilliseconds(w.ServeMs)).ConfigureAwait(true);
        Check(sim, request, placement, decoder, "served");
        await scheduler.ReleaseAsync(request, placement).ConfigureAwait(true);
    }

    private static void Check(SimulationContext sim, KvRequest request, KvPlacement placement, KvInstance decoder, string when)
    {
        if (placement.Blocks.Count != request.PromptBlocks.Count)
        {
            throw new ReuseSafetyException($"request {request.Id}: placed in {placement.Blocks.Count} blocks, its KV has {request.PromptBlocks.Count}");
        }

        var rowBytes = RowBytes(decoder.Cache);
        for (var j = 0; j < placement.Blocks.Count; j++)
        {
            var expected = Pattern(request.Id, j, rowBytes);
            for (var t = 0; t < decoder.Cache.TensorAddrs.Count; t++)
            {
                var actual = ReadRow(sim, decoder.Cache, t, placement.Blocks[j], rowBytes);
                if (!actual.AsSpan().SequenceEqual(expected[t]))
                {
                    throw new ReuseSafetyException(string.Create(CultureInfo.InvariantCulture,
                        $"request {request.Id} (from prompt {request.PromptClusterId}) was {when} with KV bytes that differ from its prompt's: block {placement.Blocks[j]} of decoder {placement.DecoderClusterId}, tensor {t}, at {SimTime.Format(sim.NowNs)}"));
                }
            }
        }
    }

    private static async Task<KvDeployment> SetUpAsync(SimulationContext sim, ReuseSafetySettings settings)
    {
        var layout = sim.Layout;
        var wait = TimeSpan.FromMilliseconds(settings.SyncWaitMs);
        var prompts = new List<KvInstance>();
        var decoders = new List<KvInstance>();
        foreach (var placement in layout.Clusters)
        {
            var isPrompt = placement.Role == LlmRole.Prompt;
            var client = sim.CreateClient(placement);
            await client.InitializeAsync(SimulationContext.OptionsFor(placement, listen: isPrompt, wait)).ConfigureAwait(true);
            var desc = new CacheDesc(CachePlacement.Device, 2, DataType.Int32, [isPrompt ? PromptBlocks : settings.DecoderBlocks, 8]);
            var cache = await PoolAsync(sim, client, placement, desc).ConfigureAwait(true);
            (isPrompt ? prompts : decoders).Add(new KvInstance(placement.ClusterId, client, cache));
        }

        foreach (var decoder in decoders)
        {
            await decoder.Client.LinkLlmClustersAsync([.. prompts.Select(p => SimulationContext.LinkTarget(decoder.ClusterId, p.ClusterId))]).ConfigureAwait(true);
            foreach (var prompt in prompts)
            {
                // One pull per link before the workload: HX reads the peer's cache table at a link's first transfer, and
                // a table read lost to a fault moves no KV; the workload's pulls then all move data.
                await decoder.Client.PullKvBlocksAsync(new CacheIndex(prompt.ClusterId, prompt.Cache.CacheId, 0), decoder.Cache, [0], [0]).ConfigureAwait(true);
            }
        }

        return new KvDeployment(sim, prompts, decoders);
    }

    private static async Task<Cache> PoolAsync(SimulationContext sim, LlmDataDistClient client, ClusterPlacement placement, CacheDesc desc)
    {
        if (sim.Profile == EngineProfile.CE)
        {
            return await client.AllocateCacheAsync(desc).ConfigureAwait(true);
        }

        var addresses = sim.AllocateTensors(placement.Server, placement.DeviceId, desc)
            ?? throw new InvalidOperationException($"cluster {placement.ClusterId}: no device memory for its KV pool");
        var id = await client.RegisterKvCacheAsync(desc, addresses, new RegisterCfg()).ConfigureAwait(true);
        return new Cache(id, addresses, desc);
    }

    private static long RowBytes(Cache cache) => LlmArbitraries.RowBytes(cache.CacheDesc);

    // Unique per (request, block of the request, tensor, byte), and never all zero.
    private static byte[][] Pattern(int request, int block, long rowBytes) =>
        [.. Enumerable.Range(0, 2).Select(t => Enumerable.Range(0, (int)rowBytes).Select(i => unchecked((byte)((request * 131) + (block * 29) + (t * 17) + i + 1))).ToArray())];

    private static void WriteRow(SimulationContext sim, Cache cache, ulong row, byte[][] tensors)
    {
        var rowBytes = RowBytes(cache);
        for (var t = 0; t < tensors.Length; t++)
        {
            if (!sim.World.Memory.TryResolve(cache.TensorAddrs[t] + (row * (ulong)rowBytes), rowBytes, out var range))
            {
                throw new InvalidOperationException($"cache {cache.CacheId}: row {row} of tensor {t} has no memory");
            }

            range.Write(tensors[t]);
        }
    }

    private static byte[] ReadRow(SimulationContext sim, Cache cache, int tensor, ulong row, long rowBytes)
    {
        var bytes = new byte[rowBytes];
        if (sim.World.Memory.TryResolve(cache.TensorAddrs[tensor] + (row * (ulong)rowBytes), rowBytes, out var range))
        {
            range.Read(bytes);
        }

        return bytes;
    }

    private static IEnumerable<KvWorkload> Shrink(KvWorkload workload)
    {
        var requests = workload.Requests;
        for (var i = 0; i < requests.Count && requests.Count > 1; i++)
        {
            yield return new KvWorkload([.. requests.Take(i), .. requests.Skip(i + 1)]);
        }

        for (var i = 0; i < requests.Count; i++)
        {
            var r = requests[i];
            foreach (var smaller in new[]
            {
                r with { Blocks = 1 }, r with { GapMs = 0 }, r with { ServeMs = 1 }, r with { Prompt = 0 },
                r with { GapMs = r.GapMs / 2 }, r with { ServeMs = Math.Max(1, r.ServeMs / 2) },
            }.Distinct().Where(s => s != r))
            {
                yield return new KvWorkload([.. requests.Take(i), smaller, .. requests.Skip(i + 1)]);
            }
        }
    }
}
