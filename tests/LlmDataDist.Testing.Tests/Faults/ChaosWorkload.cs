using LlmDataDist.Simulator;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Testing.Tests.Faults;

/// <summary>
/// An xPyD pull/push workload through the typed client under the world's fault plan. Every decoder links to every
/// prompt (the decoder is the link client, every prompt listens); each round picks a (prompt, decoder) pair and one of
/// PullKvCache, PullKvBlocks, PushKvCache, PushKvBlocks, after making sure both instances are initialized, have a cache,
/// and are linked (recovering with the recipe of reference §6.5: force-unlink both sides, link again). The
/// <see cref="SafetyChecker"/> checks every call. Then, once every fault has healed, every pair must be able to rebuild
/// its link and complete a pull and a push of each kind with exact bytes (liveness).
/// </summary>
internal sealed class ChaosWorkload(SimulationContext sim, int rounds)
{
    public static readonly TimeSpan TransferWait = TimeSpan.FromMilliseconds(20);
    public static readonly TimeSpan LinkTimeout = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(3);

    /// <summary>Faults start within this much virtual time; scripted ones heal by twice that.</summary>
    public const long HorizonNs = 60 * SimTime.NsPerMs;

    /// <summary>Attempts per liveness transfer when the plan drops transfers: a drop probability never heals, and an
    /// attempt (link set-up, cache-table sync, transfer) makes about five transfers, so at 5 % drops one attempt fails
    /// with probability ~0.23 and twelve in a row with ~2e-8.</summary>
    public const int AttemptsUnderDrops = 12;

    /// <summary>4 int32 tensors of [8, 16]: 8 rows of 64 bytes (reference §4.4 example 1).</summary>
    public static readonly CacheDesc Desc = new(CachePlacement.Device, 4, DataType.Int32, [8, 16]);

    /// <summary>Every layer first; then the four single-layer selections; then both layers.</summary>
    private static readonly KvCacheExtParam[] Selections =
    [
        new(LayerRange.All, LayerRange.All, 2),
        new(new(0, 0), new(0, 0), 2), new(new(0, 0), new(1, 1), 2), new(new(1, 1), new(0, 0), 2), new(new(1, 1), new(1, 1), 2),
        new(new(0, 1), new(0, 1), 2),
    ];

    private static readonly string[] Operations = ["PullKvCache", "PullKvBlocks", "PushKvCache", "PushKvBlocks"];

    private readonly SafetyChecker _check = new(sim.Profile);
    private readonly Dictionary<ulong, Node> _nodes = [];
    private readonly HashSet<(ulong Prompt, ulong Decoder)> _broken = [];
    private string _lastFailure = "none";
    private long WaitNs => SimTime.FromTimeSpan(TransferWait);
    private long LinkNs => SimTime.FromTimeSpan(LinkTimeout);
    private bool Hx => sim.Profile == EngineProfile.HX;

    public SafetyChecker Checker => _check;

    public int LivenessTransfers { get; private set; }

    public async Task RunAsync()
    {
        foreach (var placement in sim.Layout.Clusters)
        {
            _nodes[placement.ClusterId] = new Node(placement, sim.CreateClient(placement));
        }

        var prompts = sim.Layout.PromptClusters;
        var decoders = sim.Layout.DecoderClusters;
        for (var round = 0; round < rounds; round++)
        {
            await sim.DelayAsync(Pause);
            var prompt = _nodes[prompts[(int)sim.Random.Below((ulong)prompts.Count)].ClusterId];
            var decoder = _nodes[decoders[(int)sim.Random.Below((ulong)decoders.Count)].ClusterId];
            var operation = Operations[sim.Random.Below((ulong)Operations.Length)];
            if (await ReadyAsync(prompt, decoder, $"round {round}", mustSucceed: false))
            {
                await TransferAsync(prompt, decoder, operation, $"round {round}", (byte)round);
            }
        }

        await LivenessAsync();
    }

    /// <summary>After every fault has healed, every pair not involving a cluster crashed for good rebuilds its link and
    /// completes each kind of transfer.</summary>
    private async Task LivenessAsync()
    {
        var permanent = LlmArbitraries.PermanentlyCrashed(sim.Plan);
        var nonPermanentEnd = sim.Plan.Script.Select(f => f is ClusterCrashFault { RestartAtNs: long.MaxValue } c ? c.AtNs : LlmArbitraries.HealedAtNs(FaultPlan.Scripted(f))).DefaultIfEmpty(0).Max();
        Assert.True(nonPermanentEnd < long.MaxValue, $"a fault of the plan never heals: {sim.Plan}");
        await sim.DelayUntilAsync(Math.Max(nonPermanentEnd, HorizonNs) + SimTime.NsPerMs);
        var attempts = sim.Plan.TransferDrop.IsZero ? 1 : AttemptsUnderDrops;
        foreach (var prompt in _nodes.Values.Where(n => n.Placement.Role == LlmRole.Prompt && !permanent.Contains(n.Placement.ClusterId)))
        {
            foreach (var decoder in _nodes.Values.Where(n => n.Placement.Role == LlmRole.Decoder && !permanent.Contains(n.Placement.ClusterId)))
            {
                foreach (var operation in Operations)
                {
                    var where = $"liveness {prompt.Placement.ClusterId}->{decoder.Placement.ClusterId} {operation} at {SimTime.Format(sim.NowNs)} (faults healed by {SimTime.Format(nonPermanentEnd)})";
                    var done = false;
                    for (var attempt = 1; attempt <= attempts && !done; attempt++)
                    {
                        // Rebuild the link first. Under a drop probability (which never heals) a link set-up or a
                        // transfer may still be lost, so only then are further attempts allowed.
                        _broken.Add((prompt.Placement.ClusterId, decoder.Placement.ClusterId));
                        done = await ReadyAsync(prompt, decoder, $"{where} attempt {attempt}", mustSucceed: attempts == 1)
                            && await TransferAsync(prompt, decoder, operation, $"{where} attempt {attempt}", (byte)(200 + attempt));
                    }

                    Assert.True(done, $"{where}: no success in {attempts} attempt(s) after every fault healed; last failure: {_lastFailure}");
                    LivenessTransfers++;
                }
            }
        }
    }

    /// <summary>Both initialized, both with a cache, linked; false (round skipped) when a step fails.</summary>
    private async Task<bool> ReadyAsync(Node prompt, Node decoder, string where, bool mustSucceed)
    {
        foreach (var node in new[] { prompt, decoder })
        {
            if (!await InitializedAsync(node, where) || !await CacheAsync(node, where, mustSucceed ? 3 : 1))
            {
                Assert.False(mustSucceed, $"{where}: cluster {node.Placement.ClusterId} could not initialize or create its cache after the faults healed");
                return false;
            }
        }

        var pair = (prompt.Placement.ClusterId, decoder.Placement.ClusterId);
        var linked = sim.Instance(decoder.Placement.ClusterId).LinkedClusterIds.Contains(prompt.Placement.ClusterId)
            && sim.Instance(prompt.Placement.ClusterId).LinkedClusterIds.Contains(decoder.Placement.ClusterId);
        if (linked && !_broken.Contains(pair))
        {
            return true;
        }

        var toPrompt = SimulationContext.LinkTarget(decoder.Placement.ClusterId, prompt.Placement.ClusterId);
        var toDecoder = SimulationContext.LinkTarget(prompt.Placement.ClusterId, decoder.Placement.ClusterId);
        await LinkCallAsync("UnlinkLlmClusters", () => decoder.Client.UnlinkLlmClustersAsync([toPrompt], LinkTimeout, forceFlag: true), where);
        await LinkCallAsync("UnlinkLlmClusters", () => prompt.Client.UnlinkLlmClustersAsync([toDecoder], LinkTimeout, forceFlag: true), where);
        var link = await LinkCallAsync("LinkLlmClusters", () => decoder.Client.LinkLlmClustersAsync([toPrompt], LinkTimeout), where);
        if (link is not { AllSucceeded: true })
        {
            Assert.False(mustSucceed, $"{where}: link {decoder.Placement.ClusterId}->{prompt.Placement.ClusterId} failed after the faults healed: {_lastFailure}");
            return false;
        }

        _broken.Remove(pair);
        return true;
    }

    private async Task<ClusterResults?> LinkCallAsync(string method, Func<ValueTask<ClusterResults>> call, string where)
    {
        var (outcome, results) = await sim.CallAsync(call);
        if (!outcome.Succeeded || results is not { AllSucceeded: true })
        {
            _lastFailure = $"{where}: {method} -> {outcome.Status} {results ?? outcome.Error?.Clusters}";
        }

        _check.Call(method, outcome, LinkNs, where);
        _check.PerCluster(method, results, where);
        return results;
    }

    private async Task<bool> InitializedAsync(Node node, string where)
    {
        if (sim.Instance(node.Placement.ClusterId).IsInitialized)
        {
            return true;
        }

        // Prompts listen (decoders link to them); a crashed instance answers FAILED until the plan restarts it.
        var options = SimulationContext.OptionsFor(node.Placement, listen: node.Placement.Role == LlmRole.Prompt, TransferWait);
        var outcome = await sim.CallAsync(() => node.Client.InitializeAsync(options));
        _check.Call("Initialize", outcome, 0, where);
        return outcome.Succeeded;
    }

    /// <summary>A cache the instance still knows; re-created after a crash (CE allocates, HX registers its own memory).
    /// A new cache invalidates the peers' view of this instance (HX reads the cache table once per link, §9.16), so
    /// every link of the instance is rebuilt before its next transfer.</summary>
    private async Task<bool> CacheAsync(Node node, string where, int attempts)
    {
        if (node.Cache is { } current && sim.Instance(node.Placement.ClusterId).CacheIds.Contains(current.CacheId))
        {
            return true;
        }

        node.Cache = null;
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            if (!Hx)
            {
                var (outcome, cache) = await sim.CallAsync(() => node.Client.AllocateCacheAsync(Desc));
                _check.Call("AllocateCache", outcome, WaitNs, where);
                node.Cache = outcome.Succeeded ? cache : null;
            }
            else
            {
                node.Memory ??= sim.AllocateTensors(node.Placement.Server, node.Placement.DeviceId, Desc);
                if (node.Memory is { } memory)
                {
                    var (outcome, id) = await sim.CallAsync(() => node.Client.RegisterKvCacheAsync(Desc, memory, new RegisterCfg()));
                    _check.Call("RegisterKvCache", outcome, 0, where);
                    node.Cache = outcome.Succeeded ? new Cache(id, memory, Desc) : null;
                }
            }

            if (node.Cache is not null)
            {
                foreach (var other in _nodes.Values.Where(n => n.Placement.Role != node.Placement.Role))
                {
                    _broken.Add(node.Placement.Role == LlmRole.Prompt
                        ? (node.Placement.ClusterId, other.Placement.ClusterId)
                        : (other.Placement.ClusterId, node.Placement.ClusterId));
                }

                return true;
            }
        }

        return false;
    }

    /// <summary>One transfer with byte checks; true when it succeeded.</summary>
    private async Task<bool> TransferAsync(Node prompt, Node decoder, string operation, string where, byte pattern)
    {
        var push = operation.StartsWith("Push", StringComparison.Ordinal);
        var (from, to) = push ? (prompt, decoder) : (decoder, prompt); // (caller, peer)
        var (src, dst) = (prompt.Cache!, decoder.Cache!);
        var rowsCount = Desc.Shape[0];
        IReadOnlyList<(long From, long To)> rows;
        if (operation.EndsWith("Blocks", StringComparison.Ordinal))
        {
            var n = 1 + (int)sim.Random.Below(4);
            var destinations = Enumerable.Range(0, (int)rowsCount).OrderBy(_ => sim.Random.Next()).Take(n).ToArray();
            rows = [.. destinations.Select(d => ((long)sim.Random.Below((ulong)rowsCount), (long)d))];
        }
        else
        {
            rows = [((long)sim.Random.Below((ulong)rowsCount), (long)sim.Random.Below((ulong)rowsCount))];
        }

        if (!sim.Instance(prompt.Placement.ClusterId).CacheIds.Contains(src.CacheId) || !sim.Instance(decoder.Placement.ClusterId).CacheIds.Contains(dst.CacheId))
        {
            _lastFailure = $"{where}: a crash took a cache away while linking";
            return false;
        }

        sim.Fill(src, pattern);
        sim.Fill(dst, (byte)(pattern + 128));
        var source = sim.Read(src);
        var before = sim.Read(dst);
        // A layer selection: every layer, or one or both layers onto the same count (the cache has 2 layers of K,V).
        var ext = Selections[(int)sim.Random.Below((ulong)Selections.Length)];
        var tensorPairs = CacheBytes.TensorPairs(ext, Desc.NumTensors, push);
        var srcBlocks = rows.Select(r => (ulong)r.From).ToArray();
        var dstBlocks = rows.Select(r => (ulong)r.To).ToArray();
        var outcome = await sim.CallAsync(operation switch
        {
            "PullKvCache" => () => decoder.Client.PullKvCacheAsync(new CacheIndex(prompt.Placement.ClusterId, src.CacheId, (uint)rows[0].From), dst, (uint)rows[0].To, extParam: ext),
            "PullKvBlocks" => () => decoder.Client.PullKvBlocksAsync(new CacheIndex(prompt.Placement.ClusterId, src.CacheId, 0), dst, srcBlocks, dstBlocks, ext),
            "PushKvCache" => () => prompt.Client.PushKvCacheAsync(src, new CacheIndex(decoder.Placement.ClusterId, dst.CacheId, (uint)rows[0].To), (uint)rows[0].From, extParam: ext),
            _ => () => prompt.Client.PushKvBlocksAsync(src, new CacheIndex(decoder.Placement.ClusterId, dst.CacheId, 0), srcBlocks, dstBlocks, ext),
        });
        var detail = $"{where}: {operation} {prompt.Placement.ClusterId}->{decoder.Placement.ClusterId} rows [{string.Join(", ", rows)}] layers {LlmArbitraries.Describe(ext)} by cluster {from.Placement.ClusterId} (peer {to.Placement.ClusterId})";
        _check.Call(operation, outcome, WaitNs, detail);
        SafetyChecker.Bytes(detail, outcome.Succeeded, push, source, before, sim.TryRead(dst), LlmArbitraries.RowBytes(Desc), rows, tensorPairs);
        var sourceAfter = sim.TryRead(src);
        Assert.True(sourceAfter is null || CacheBytes.FirstDifference(source, sourceAfter) is null, $"{detail}: the transfer changed its source");
        if (!outcome.Succeeded)
        {
            _lastFailure = $"{detail} -> {outcome.Status}";
            _broken.Add((prompt.Placement.ClusterId, decoder.Placement.ClusterId));
        }

        return outcome.Succeeded;
    }

    private sealed class Node(ClusterPlacement placement, LlmDataDistClient client)
    {
        public ClusterPlacement Placement { get; } = placement;

        public LlmDataDistClient Client { get; } = client;

        public Cache? Cache { get; set; }

        public ulong[]? Memory { get; set; }
    }
}
