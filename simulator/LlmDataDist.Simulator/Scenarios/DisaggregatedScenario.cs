using System.Globalization;
using LlmDataDist.Simulator.Backend;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Scenarios;

/// <summary>
/// Runs a <see cref="ScenarioSpec"/> in a fresh <see cref="SimulatedWorld"/>, through the typed client as a serving
/// system would use it: every instance initializes, decoders link to every prompt, requests are prefilled, their KV
/// moved as <see cref="ScenarioSpec.Transfer"/> says (blocks or a cache row, pulled or pushed, optionally one call per
/// group of layers, overlapping prefill), and held while decoding. A pull that breaks its link triggers the documented
/// recovery (force unlink on both sides, link again). Same spec, same result, bit for bit.
/// </summary>
public sealed class DisaggregatedScenario : IDisposable
{
    private const ushort ListenPort = 26000;

    // CE refuses more than 16 clusters in one Link or Unlink call (LLM_CLUSTER_NUM_EXCEED_LIMIT); HX has no limit but
    // the same batches work there too.
    private const int ClustersPerLinkCall = 16;
    private const int SetUpLinkAttempts = 8;

    private readonly ScenarioSpec _spec;
    private readonly SimulatedWorld _world;
    private readonly SimulatedFabric _fabric;
    private readonly SimRandom _random;
    private readonly List<Instance> _prompts = [];
    private readonly List<Instance> _decoders = [];
    private readonly List<RequestRecord> _records = [];
    private readonly IProgress<double>? _progress;
    private readonly ScenarioObserver? _observer;
    private readonly bool _keepRecords;
    private string[,] _linkClass = new string[0, 0];
    private LinkPair[,] _pairs = new LinkPair[0, 0];
    // A prompt's "layers ready" message to a pulling decoder crosses the route once: its fixed latency, no data phase.
    private long[,] _notifyNs = new long[0, 0];
    private int _inFlight;
    // A pool slot is one block, or in the whole-cache modes one row of RowBlocks blocks.
    private readonly int _slotBlocks;
    private int _pullsInFlight;
    private long _promptBlocksUsed;
    private long _decoderBlocksUsed;
    private long _requestCount;
    private int _relinks;
    private int _retries;
    private int _linkDowns;
    private long _blocksQuarantined;
    private long _quarantinedNow;
    private long _quarantinePeak;
    private long _quarantineBlockNs;
    private System.Runtime.ExceptionServices.ExceptionDispatchInfo? _requestFailure;

    private DisaggregatedScenario(ScenarioSpec spec, IProgress<double>? progress, ScenarioObserver? observer, bool keepRecords, bool keepTraceEvents)
    {
        _spec = spec;
        _progress = progress;
        _observer = observer;
        _keepRecords = keepRecords;
        var topology = spec.Topology ?? spec.TopologyKind.ToUpperInvariant() switch
        {
            "A2" => Topology.A2(spec.Servers, spec.LatencyModel),
            "A3" => Topology.A3(spec.Servers, latencyModel: spec.LatencyModel),
            _ => throw new ArgumentException($"unknown topology '{spec.TopologyKind}': use a2 or a3", nameof(spec)),
        };
        if (spec.Prompts < 1 || spec.Decoders < 1 || spec.Prompts + spec.Decoders > topology.Npus.Count)
        {
            throw new ArgumentException($"{spec.Prompts}P{spec.Decoders}D needs 2..{topology.Npus.Count} NPUs on this topology", nameof(spec));
        }

        if (spec.Placement is { } placement)
        {
            CheckPlacement(placement, spec, topology);
        }

        var faults = spec.ChaosSeed is { } chaos
            ? FaultPlan.Chaos(chaos, topology.Npus.Count, horizonNs: spec.DurationNs, lateLanding: spec.LateLanding)
            : FaultPlan.None;
        if (spec.Faults is { } scripted)
        {
            faults = faults with
            {
                TransferDrop = scripted.TransferDrop == Ratio.Zero ? faults.TransferDrop : scripted.TransferDrop,
                Script = [.. faults.Script, .. scripted.Script],
                Origin = spec.ChaosSeed is null ? scripted.Origin : $"{faults.Origin} + scripted",
            };
        }

        if (spec.LateLanding && !faults.Script.Any(f => f is LateLandingFault))
        {
            faults = faults with { Script = [.. faults.Script, LateLandingFault.Pessimistic], Origin = spec.ChaosSeed is null ? "scripted" : faults.Origin };
        }

        _world = new SimulatedWorld(spec.Seed, topology, faults, new SimulationOptions(MetadataOnly: spec.MetadataOnly, KeepTraceEvents: keepTraceEvents));
        _fabric = new SimulatedFabric(_world, spec.Profile, devicePoolBytesDefault: long.MaxValue / 4);
        _random = _world.Random.Fork();
        _slotBlocks = spec.WholeCache ? spec.RowBlocks : 1;
        if (spec.WholeCache && spec.BlocksPerInstance < _slotBlocks)
        {
            throw new ArgumentException($"a cache row of {_slotBlocks} blocks (the longest prompt) does not fit a pool of {spec.BlocksPerInstance} blocks", nameof(spec));
        }

        if (spec.LayersPerCall < 0 || spec.LayersPerCall > spec.KvModel.Layers)
        {
            throw new ArgumentException($"layers per call must be 0..{spec.KvModel.Layers} (got {spec.LayersPerCall})", nameof(spec));
        }
        _world.Network.LinkStateChanged += (link, up) =>
        {
            _linkDowns += up ? 0 : 1;
            _observer?.OnLinkState(_world.NowNs, link, up);
        };
    }

    private static void CheckPlacement(ScenarioPlacement placement, ScenarioSpec spec, Topology topology)
    {
        var all = placement.PromptNpus.Concat(placement.DecoderNpus).ToList();
        if (placement.PromptNpus.Count != spec.Prompts || placement.DecoderNpus.Count != spec.Decoders
            || all.Any(n => n < 0 || n >= topology.Npus.Count) || all.Distinct().Count() != all.Count)
        {
            throw new ArgumentException($"the placement must give {spec.Prompts} prompt and {spec.Decoders} decoder NPUs, distinct, each 0..{topology.Npus.Count - 1}", nameof(spec));
        }
    }

    /// <summary>The world the scenario runs in (its trace, for export).</summary>
    public SimulatedWorld World => _world;

    /// <summary>Returns the world's pooled buffers.</summary>
    public void Dispose() => _world.Dispose();

    /// <summary>Runs a scenario to completion.</summary>
    /// <param name="spec">What to run.</param>
    /// <param name="progress">Receives the fraction of the arrival window done, in virtual time.</param>
    /// <returns>The scenario (for its world and trace; dispose it) and its result.</returns>
    public static (DisaggregatedScenario Scenario, ScenarioResult Result) Run(ScenarioSpec spec, IProgress<double>? progress = null) =>
        Run(spec, progress, observer: null, keepRecords: true, keepTraceEvents: true);

    /// <summary>Runs a scenario to completion, streaming what happens to an observer.</summary>
    /// <param name="spec">What to run.</param>
    /// <param name="progress">Receives the fraction of the arrival window done, in virtual time.</param>
    /// <param name="observer">Sees every request, pull and pool change as it happens; null for none.</param>
    /// <param name="keepRecords">Keep every request's record in the result (memory grows with the request count).</param>
    /// <param name="keepTraceEvents">Keep trace events for export (the hash is computed either way).</param>
    /// <returns>The scenario (for its world and trace; dispose it) and its result.</returns>
    public static (DisaggregatedScenario Scenario, ScenarioResult Result) Run(ScenarioSpec spec, IProgress<double>? progress, ScenarioObserver? observer,
        bool keepRecords, bool keepTraceEvents)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var scenario = new DisaggregatedScenario(spec, progress, observer, keepRecords, keepTraceEvents);
        var result = scenario._world.Run(scenario.MainAsync);
        return (scenario, result);
    }

    /// <summary>One decoder-to-prompt link: pulls on it now, its recovery while one runs, and the decoder blocks of
    /// pulls that timed out on it, quarantined until its next teardown.</summary>
    private sealed class LinkPair
    {
        public int InFlight { get; set; }

        public Task<bool>? Recovery { get; set; }

        public List<DecoderBlocks> Quarantined { get; } = [];
    }

    /// <summary>A request's blocks on its decoder. A pull that timed out may still land in them (a late landing) until
    /// its link is torn down: with quarantine they wait for that; without, they went back to the pool at the timeout.</summary>
    private sealed class DecoderBlocks(Instance decoder, ulong[] blocks)
    {
        public Instance Decoder { get; } = decoder;

        public ulong[] Blocks { get; set; } = blocks;

        /// <summary>Handed back to the pool at a timeout (quarantine off): a retry needs fresh ones.</summary>
        public bool Released { get; set; }

        /// <summary>Quarantined: out of the pool until this link's teardown.</summary>
        public LinkPair? AwaitingTeardown { get; set; }

        public long QuarantinedSinceNs { get; set; }

        /// <summary>The request is done with them: the teardown hands them back.</summary>
        public bool Parked { get; set; }
    }

    /// <summary>A request whose layer-wise transfer overlaps its prefill: prefill computes the layers in order at a
    /// uniform cost per layer (no published per-layer profile to do better), and each group is written when computed.</summary>
    private sealed class LayerOverlap(int id, long prefillStartNs, long prefillEndNs)
    {
        public int Id { get; } = id;

        /// <summary>Layers [0, LayersWritten) hold the request's KV on the prompt.</summary>
        public int LayersWritten { get; set; }

        /// <summary>When the first group's call started; -1 before.</summary>
        public long FirstCallNs { get; set; } = -1;

        public long LayersComputedNs(int layers, int total) => prefillStartNs + ((prefillEndNs - prefillStartNs) * layers / total);
    }

    private sealed class Instance(int index, ulong clusterId, int npu, int server, int deviceId, LlmDataDistClient client, string ip)
    {
        public int Index { get; } = index;

        public ulong ClusterId { get; } = clusterId;

        public int Npu { get; } = npu;

        public int Server { get; } = server;

        public int DeviceId { get; } = deviceId;

        public LlmDataDistClient Client { get; } = client;

        public string Ip { get; } = ip;

        public Cache Pool { get; set; } = new();

        public Stack<ulong> FreeBlocks { get; } = new();

        public long BusyUntilNs { get; set; }

        public bool IsPrompt { get; init; }
    }

    private async Task<ScenarioResult> MainAsync()
    {
        await SetUpAsync().ConfigureAwait(true);
        // The arrival window opens once every instance is set up and linked.
        var windowStart = _world.NowNs;
        var windowEnd = windowStart + _spec.DurationNs;
        var meanGapNs = (long)(SimTime.NsPerSecond / _spec.RequestsPerSecond);
        var tick = Math.Max(1, _spec.DurationNs / 100);
        for (var at = tick; at <= _spec.DurationNs; at += tick)
        {
            var fraction = (double)at / _spec.DurationNs;
            _world.Loop.At(windowStart + at, () => _progress?.Report(fraction));
        }

        var id = 0;
        if (_spec.ArrivalTrace is { } trace)
        {
            foreach (var row in trace)
            {
                if (id >= _spec.MaxRequests || windowStart + row.ArrivalNs > windowEnd)
                {
                    break;
                }

                await _world.Loop.Delay(Math.Max(0, windowStart + row.ArrivalNs - _world.NowNs)).ConfigureAwait(true);
                _ = RequestAsync(id++, row.PromptTokens, row.OutputTokens);
            }
        }
        else
        {
            // Bounded by the arrival window: every turn moves virtual time forward by at least 1 ns.
            while (id < _spec.MaxRequests)
            {
                var gap = Math.Max(1, _random.ExponentialNs(meanGapNs));
                if (_world.NowNs + gap > windowEnd)
                {
                    break;
                }

                await _world.Loop.Delay(gap).ConfigureAwait(true);
                var tokens = (int)_random.NextInt64(Math.Max(1, _spec.PromptTokensMean / 2), (_spec.PromptTokensMean * 3 / 2) + 1);
                _ = RequestAsync(id++, tokens, _spec.OutputTokensMean);
            }
        }

        // Requests are not kept as tasks (a million of them would be); the loop runs until the last one has decoded.
        _requestCount = id;
        while (_inFlight > 0 && _requestFailure is null)
        {
            await _world.Loop.Delay(SimTime.NsPerMs).ConfigureAwait(true);
        }

        _requestFailure?.Throw();

        foreach (var instance in _prompts.Concat(_decoders))
        {
            await instance.Client.DisposeAsync().ConfigureAwait(true);
        }

        // Blocks still waiting for a teardown at the end cost capacity until the end.
        var stillQuarantined = _pairs.Cast<LinkPair>().SelectMany(p => p.Quarantined).ToList();
        _quarantineBlockNs += stillQuarantined.Sum(h => (_world.NowNs - h.QuarantinedSinceNs) * h.Blocks.Length * _slotBlocks);
        return new ScenarioResult(_spec, [.. _records.OrderBy(r => r.Id)], _world.NowNs, _world.Trace.HashHex, _world.Trace.Count, _relinks, _world.Faults.ToString())
        {
            RequestCount = _requestCount,
            Retries = _retries,
            LinkDowns = _linkDowns,
            ArrivalWindowNs = (windowStart, windowEnd),
            BlocksQuarantined = _blocksQuarantined,
            QuarantinePeakBlocks = _quarantinePeak,
            QuarantineBlockNs = _quarantineBlockNs,
            QuarantinedAtEnd = stillQuarantined.Sum(h => (long)h.Blocks.Length * _slotBlocks),
        };
    }

    private async Task SetUpAsync()
    {
        var topology = _world.Topology;
        var placement = _spec.Placement ?? ScenarioPlacement.Packed(topology, _spec.Prompts, _spec.Decoders);
        var clientOptions = new LlmDataDistClientOptions { TimeProvider = _world.TimeProvider };
        for (var p = 0; p < _spec.Prompts; p++)
        {
            _prompts.Add(Create(p, 100UL + (ulong)p, topology.Npus[placement.PromptNpus[p]], LlmRole.Prompt, clientOptions));
        }

        for (var d = 0; d < _spec.Decoders; d++)
        {
            _decoders.Add(Create(d, 200UL + (ulong)d, topology.Npus[placement.DecoderNpus[d]], LlmRole.Decoder, clientOptions));
        }

        foreach (var prompt in _prompts)
        {
            var options = new LlmDataDistOptions { DeviceId = prompt.DeviceId, ListenIpInfo = new System.Net.IPEndPoint(System.Net.IPAddress.Parse(prompt.Ip), ListenPort) };
            await prompt.Client.InitializeAsync(options).ConfigureAwait(true);
        }

        foreach (var decoder in _decoders)
        {
            var options = new LlmDataDistOptions { DeviceId = decoder.DeviceId };
            if (_spec.Profile == EngineProfile.HX)
            {
                options.ListenIpInfo = new System.Net.IPEndPoint(System.Net.IPAddress.Parse(decoder.Ip), ListenPort);
            }

            await decoder.Client.InitializeAsync(options).ConfigureAwait(true);
        }

        foreach (var instance in _prompts.Concat(_decoders))
        {
            instance.Pool = await PoolAsync(instance).ConfigureAwait(true);
            for (var b = (_spec.BlocksPerInstance / _slotBlocks) - 1; b >= 0; b--)
            {
                instance.FreeBlocks.Push((ulong)b);
            }
        }

        // HX reads the peer's cache table at a link's first transfer: caches exist before linking, as the docs ask.
        foreach (var decoder in _decoders)
        {
            foreach (var batch in _prompts.Chunk(ClustersPerLinkCall))
            {
                var pending = batch.ToList();
                // Faults (dropped handshakes, establishment failures) may refuse some links: retry those, a few times.
                for (var attempt = 1; pending.Count > 0; attempt++)
                {
                    ClusterResults results;
                    try
                    {
                        results = await decoder.Client.LinkLlmClustersAsync([.. pending.Select(p => ClusterTo(decoder, p))]).ConfigureAwait(true);
                    }
                    catch (LlmDataDistException ex) when (ex.Clusters is not null)
                    {
                        results = ex.Clusters;
                    }

                    var linked = results.Where(r => r.Status is LlmStatus.Success or LlmStatus.AlreadyLink).Select(r => r.ClusterId).ToHashSet();
                    pending.RemoveAll(p => linked.Contains(p.ClusterId));
                    if (pending.Count > 0 && attempt == SetUpLinkAttempts)
                    {
                        throw new ScenarioSetUpException(
                            $"decoder {decoder.ClusterId} could not link to prompt(s) {string.Join(", ", pending.Select(p => p.ClusterId))} in {SetUpLinkAttempts} attempts at set-up ({(results.Failures.Count > 0 ? results.Failures[0].Status : results.Status)}); faults: {_world.Faults}");
                    }
                }
            }
        }

        _linkClass = new string[_prompts.Count, _decoders.Count];
        _pairs = new LinkPair[_prompts.Count, _decoders.Count];
        _notifyNs = new long[_prompts.Count, _decoders.Count];
        foreach (var prompt in _prompts)
        {
            foreach (var decoder in _decoders)
            {
                var route = topology.FindRoute(prompt.Npu, decoder.Npu);
                _pairs[prompt.Index, decoder.Index] = new LinkPair();
                _notifyNs[prompt.Index, decoder.Index] = route.LatencyNs;
                _linkClass[prompt.Index, decoder.Index] = route.LinkClass;
            }
        }
    }

    private Instance Create(int index, ulong clusterId, NpuInfo npu, LlmRole role, LlmDataDistClientOptions options)
    {
        var backend = _fabric.Factory(npu.ServerIndex).Create(clusterId, role);
        var ip = string.Create(CultureInfo.InvariantCulture, $"10.{npu.ServerIndex}.0.{npu.DeviceId + 1}");
        return new Instance(index, clusterId, npu.Id, npu.ServerIndex, npu.DeviceId, new LlmDataDistClient(backend, options), ip)
        {
            IsPrompt = role == LlmRole.Prompt,
        };
    }

    // An injected allocation failure (the chaos plan's AllocationFailureFault) fails one attempt: try again, a few times.
    private const int PoolAllocationAttempts = 3;

    private async Task<Cache> PoolAsync(Instance instance)
    {
        var desc = _spec.KvModel.PoolDesc(_spec.BlocksPerInstance / _slotBlocks, _slotBlocks);
        var bytes = desc.Shape[0] * desc.Shape[1];
        string TooBig() => string.Create(CultureInfo.InvariantCulture,
            $"npu{instance.Npu} cannot hold the KV pool ({desc.NumTensors} tensors x {bytes} bytes) in {PoolAllocationAttempts} attempts: lower the pool's blocks; faults: {_world.Faults}");
        if (_spec.Profile == EngineProfile.CE)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await instance.Client.AllocateCacheAsync(desc).ConfigureAwait(true);
                }
                catch (LlmDataDistException ex) when (attempt < PoolAllocationAttempts && ex.Status != LlmStatus.ParamInvalid)
                {
                }
                catch (LlmDataDistException ex)
                {
                    throw new ScenarioSetUpException(TooBig(), ex);
                }
            }
        }

        var addresses = new List<ulong>();
        for (var t = 0; t < desc.NumTensors; t++)
        {
            var buffer = _world.Memory.Device(instance.Npu).Allocate(bytes, $"cluster{instance.ClusterId}/pool/t{t}");
            for (var attempt = 2; buffer.Status != AllocationStatus.Success && attempt <= PoolAllocationAttempts; attempt++)
            {
                buffer = _world.Memory.Device(instance.Npu).Allocate(bytes, $"cluster{instance.ClusterId}/pool/t{t}");
            }

            if (buffer.Status != AllocationStatus.Success)
            {
                throw new ScenarioSetUpException(TooBig());
            }

            addresses.Add(buffer.Buffer!.Address);
        }

        var id = await instance.Client.RegisterKvCacheAsync(desc, addresses, new RegisterCfg()).ConfigureAwait(true);
        return new Cache(id, addresses, desc);
    }

    private static ClusterInfo ClusterTo(Instance decoder, Instance prompt) => new()
    {
        RemoteClusterId = prompt.ClusterId,
        RemoteRoleType = LlmRole.Prompt,
        LocalIpInfos = [new IpInfo { Ip = decoder.Ip }],
        RemoteIpInfos = [new IpInfo { Ip = prompt.Ip, Port = ListenPort }],
    };

    private void Report(RequestRecord record)
    {
        if (_keepRecords)
        {
            _records.Add(record);
        }

        _observer?.OnRequest(record);
    }

    // Requests are not awaited one by one: a bug in one must still fail the run, not vanish with its task.
    private async Task RequestAsync(int id, int tokens, int outputTokens)
    {
        try
        {
            await ServeAsync(id, tokens, outputTokens).ConfigureAwait(true);
        }
        catch (Exception ex)
        {
            _requestFailure ??= System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex);
        }
    }

    private async Task ServeAsync(int id, int tokens, int outputTokens)
    {
        var arrival = _world.NowNs;
        var prompt = _prompts[id % _prompts.Count];
        var blocks = _spec.KvModel.BlocksFor(tokens);
        var bytes = blocks * _spec.KvModel.BlockBytes * _spec.KvModel.Tensors;
        var prefillEnd = 0L;
        RequestRecord Record(string outcome, int decoder = -1, long start = 0, long end = 0, bool? verified = null, int attempts = 0) =>
            new(id, prompt.Index, decoder, tokens, blocks, bytes, arrival, start, end, outcome, verified,
                decoder < 0 ? "-" : _linkClass[prompt.Index, decoder], attempts) { PrefillEndNs = prefillEnd };

        var slots = _spec.WholeCache ? 1 : blocks;
        if (prompt.FreeBlocks.Count < slots)
        {
            Report(Record("dropped: prompt KV pool full"));
            return;
        }

        _inFlight++;
        var srcBlocks = Take(prompt, slots);
        try
        {
            // Prefill: one request at a time per prompt instance, in arrival order.
            var prefillStart = Math.Max(_world.NowNs, prompt.BusyUntilNs);
            prefillEnd = prefillStart + (tokens * _spec.PrefillNsPerToken);
            prompt.BusyUntilNs = prefillEnd;
            // Overlapping layer-wise transfer picks the decoder when prefill starts and writes each layer group as
            // prefill computes it; otherwise the whole KV is there when prefill ends.
            var overlap = _spec.Overlaps ? new LayerOverlap(id, prefillStart, prefillEnd) : null;
            await _world.Loop.Delay((overlap is null ? prefillEnd : prefillStart) - _world.NowNs).ConfigureAwait(true);
            if (overlap is null)
            {
                WritePattern(prompt, BlocksOf(srcBlocks, blocks), id, 0, _spec.KvModel.Layers);
            }

            // Round robin over decoders, shifted by one every max(P, D) requests: prompts and decoders stay balanced and
            // every decoder pulls from every prompt over all P x D links (with P = D a plain id % D would pair prompt i
            // with decoder i only). A decoder's pool is then shared by links that break and links that do not.
            var decoder = _decoders[(id + (id / Math.Max(_prompts.Count, _decoders.Count))) % _decoders.Count];
            if (decoder.FreeBlocks.Count < slots)
            {
                Report(Record("dropped: decoder KV pool full", decoder.Index));
                return;
            }

            var held = new DecoderBlocks(decoder, Take(decoder, slots));
            var start = _world.NowNs;
            if (overlap is null)
            {
                _observer?.OnPullsInFlight(start, ++_pullsInFlight);
            }

            var outcome = "not attempted";
            var attempts = 0;
            while (attempts <= _spec.PullRetries)
            {
                if (held.Released)
                {
                    if (decoder.FreeBlocks.Count < slots)
                    {
                        outcome = "dropped: decoder KV pool full";
                        break;
                    }

                    (held.Blocks, held.Released) = (Take(decoder, slots), false);
                }

                attempts++;
                _retries += attempts > 1 ? 1 : 0;
                (outcome, var relinked) = await PullAsync(decoder, prompt, srcBlocks, held, blocks, overlap).ConfigureAwait(true);
                if (!relinked)
                {
                    break; // delivered, or a failure that a new link does not cure
                }
            }

            var end = _world.NowNs;
            if (overlap is null || overlap.FirstCallNs >= 0)
            {
                _observer?.OnPullsInFlight(end, --_pullsInFlight);
            }

            // With overlap the transfer starts at its first call, not when the decoder was chosen.
            start = overlap is null ? start : overlap.FirstCallNs >= 0 ? overlap.FirstCallNs : end;
            bool? verified = outcome == "ok" && !_spec.MetadataOnly ? Matches(prompt, BlocksOf(srcBlocks, blocks), decoder, BlocksOf(held.Blocks, blocks)) : null;
            var record = Record(outcome, decoder.Index, start, end, verified, attempts);
            if (verified is null)
            {
                Report(record);
            }

            if (outcome != "ok" && _world.NowNs < prefillEnd)
            {
                // A layer group failed while prefill still writes the prompt's blocks: they are free when it ends.
                Release(held);
                await _world.Loop.Delay(prefillEnd - _world.NowNs).ConfigureAwait(true);
                return;
            }

            var pulledFrom = srcBlocks;
            Give(prompt, srcBlocks);
            srcBlocks = [];
            if (outcome != "ok")
            {
                Release(held);
                return;
            }

            // Decoding holds the blocks on the decoder; the run ends when the last request has decoded.
            await _world.Loop.Delay(Math.Max(1, outputTokens * _spec.DecodeNsPerToken)).ConfigureAwait(true);
            if (verified is not null)
            {
                // Served with its own KV to the end: a late landing into reused blocks shows up here, not at the pull.
                Report(record with { Verified = verified.Value && StillHolds(id, BlocksOf(pulledFrom, blocks), decoder, BlocksOf(held.Blocks, blocks)) });
            }

            Release(held);
        }
        finally
        {
            Give(prompt, srcBlocks);
            _inFlight--;
        }
    }

    /// <returns>"ok" or the failure's status, and whether the link was rebuilt (so a retry may succeed).</returns>
    private async Task<(string Outcome, bool Relinked)> PullAsync(Instance decoder, Instance prompt, ulong[] srcBlocks, DecoderBlocks held, int blocks, LayerOverlap? overlap)
    {
        var pair = _pairs[prompt.Index, decoder.Index];
        // With overlap a request waits for its layers between calls, off the link: it takes the link per call.
        var counted = overlap is null;
        if (counted && pair.Recovery is { } pending)
        {
            await pending.ConfigureAwait(true); // no pull over a link that is being rebuilt (CE: LINK_BUSY)
        }

        pair.InFlight += counted ? 1 : 0;
        try
        {
            await TransferAsync(decoder, prompt, srcBlocks, held.Blocks, blocks, overlap).ConfigureAwait(true);
            return ("ok", false);
        }
        catch (LlmDataDistException ex)
        {
            pair.InFlight -= counted ? 1 : 0;
            counted = false;
            var relinked = false;
            // A timed-out transfer breaks the link (§6.5); a link a failed recovery left unlinked reports NOT_YET_LINK.
            if (ex.Status is LlmStatus.WaitProcTimeout or LlmStatus.Timeout)
            {
                TimedOut(pair, held);
            }

            if (ex.Status is LlmStatus.WaitProcTimeout or LlmStatus.Timeout or LlmStatus.NotYetLink)
            {
                pair.Recovery ??= RecoverAsync(pair, decoder, prompt);
                relinked = await pair.Recovery.ConfigureAwait(true);
            }

            return (ex.Status.IsKnown() ? ex.Status.ToString() : ex.StatusCode.ToString(CultureInfo.InvariantCulture), relinked);
        }
        finally
        {
            pair.InFlight -= counted ? 1 : 0;
        }
    }

    /// <summary>Moves one request's KV in the spec's mode: its slots are blocks, or one cache row in the whole-cache
    /// modes; with layers per call, one call per group of layers, in layer order (a failure stops the rest). With
    /// overlap, a group's call starts once prefill has computed its layers (a pull once the prompt's message arrived).</summary>
    private async Task TransferAsync(Instance decoder, Instance prompt, ulong[] srcSlots, ulong[] dstSlots, int blocks, LayerOverlap? overlap)
    {
        var layers = _spec.KvModel.Layers;
        var perCall = _spec.LayersPerCall == 0 ? layers : _spec.LayersPerCall;
        var pair = _pairs[prompt.Index, decoder.Index];
        for (var first = 0; first < layers; first += perCall)
        {
            var end = Math.Min(layers, first + perCall);
            if (overlap is not null)
            {
                await LayersReadyAsync(overlap, prompt, decoder, srcSlots, blocks, end).ConfigureAwait(true);
                if (pair.Recovery is { } pending)
                {
                    await pending.ConfigureAwait(true); // no call over a link that is being rebuilt (CE: LINK_BUSY)
                }

                if (overlap.FirstCallNs < 0)
                {
                    overlap.FirstCallNs = _world.NowNs;
                    _observer?.OnPullsInFlight(_world.NowNs, ++_pullsInFlight);
                }

                pair.InFlight++;
            }

            try
            {
                // Default ranges (all layers, tensors paired i to i) when one call moves everything.
                var ext = perCall == layers
                    ? null
                    : new KvCacheExtParam(new LayerRange(first, end - 1), new LayerRange(first, end - 1), KvModel.TensorsPerLayer);
                var source = new CacheIndex(prompt.ClusterId, prompt.Pool.CacheId, _spec.Transfer == TransferMode.PullCache ? (uint)srcSlots[0] : 0);
                var destination = new CacheIndex(decoder.ClusterId, decoder.Pool.CacheId, _spec.Transfer == TransferMode.PushCache ? (uint)dstSlots[0] : 0);
                switch (_spec.Transfer)
                {
                    case TransferMode.PushBlocks:
                        await prompt.Client.PushKvBlocksAsync(prompt.Pool, destination, srcSlots, dstSlots, ext).ConfigureAwait(true);
                        break;
                    case TransferMode.PullCache:
                        // A pull of a row moves only the request's blocks; a push always moves the whole row (size must be -1).
                        await decoder.Client.PullKvCacheAsync(source, decoder.Pool, (uint)dstSlots[0], blocks * _spec.KvModel.BlockBytes, ext).ConfigureAwait(true);
                        break;
                    case TransferMode.PushCache:
                        await prompt.Client.PushKvCacheAsync(prompt.Pool, destination, (uint)srcSlots[0], -1, ext).ConfigureAwait(true);
                        break;
                    default:
                        await decoder.Client.PullKvBlocksAsync(source, decoder.Pool, srcSlots, dstSlots, ext).ConfigureAwait(true);
                        break;
                }
            }
            finally
            {
                pair.InFlight -= overlap is null ? 0 : 1;
            }
        }
    }

    /// <summary>Waits until prefill has computed layers [0, <paramref name="layersEnd"/>), and for a pulling decoder until
    /// the prompt's message saying so has arrived, then writes the layers not yet written (nothing reads them earlier:
    /// one wait per group instead of two).</summary>
    private async Task LayersReadyAsync(LayerOverlap overlap, Instance prompt, Instance decoder, ulong[] srcSlots, int blocks, int layersEnd)
    {
        var ready = overlap.LayersComputedNs(layersEnd, _spec.KvModel.Layers)
            + (_spec.Transfer is TransferMode.PullBlocks or TransferMode.PullCache ? _notifyNs[prompt.Index, decoder.Index] : 0);
        if (ready > _world.NowNs)
        {
            await _world.Loop.Delay(ready - _world.NowNs).ConfigureAwait(true);
        }

        if (overlap.LayersWritten < layersEnd)
        {
            WritePattern(prompt, _spec.MetadataOnly ? [] : BlocksOf(srcSlots, blocks), overlap.Id, overlap.LayersWritten, layersEnd);
            overlap.LayersWritten = layersEnd;
        }
    }

    /// <summary>The blocks a request's slots cover: the slots themselves, or the first blocks of its cache row.</summary>
    private ulong[] BlocksOf(ulong[] slots, int blocks)
    {
        if (_slotBlocks == 1 || slots.Length == 0)
        {
            return slots;
        }

        var row = slots[0] * (ulong)_slotBlocks;
        var covered = new ulong[blocks];
        for (var i = 0; i < blocks; i++)
        {
            covered[i] = row + (ulong)i;
        }

        return covered;
    }

    /// <summary>One recovery per broken link at a time: the pulls still on it finish (they time out too), then the
    /// documented recipe runs once and every waiting pull learns whether the link is back.</summary>
    private async Task<bool> RecoverAsync(LinkPair pair, Instance decoder, Instance prompt)
    {
        try
        {
            if (_spec.RecoveryDelayNs > 0)
            {
                await _world.Loop.Delay(_spec.RecoveryDelayNs).ConfigureAwait(true);
            }

            while (pair.InFlight > 0)
            {
                await _world.Loop.Delay(100 * SimTime.NsPerUs).ConfigureAwait(true);
            }

            return await RelinkAsync(decoder, prompt).ConfigureAwait(true);
        }
        finally
        {
            pair.Recovery = null;
        }
    }

    /// <summary>The documented recovery of a broken link: force unlink on both sides, then link again from the client.</summary>
    private async Task<bool> RelinkAsync(Instance decoder, Instance prompt)
    {
        var cluster = ClusterTo(decoder, prompt);
        var reverse = new ClusterInfo
        {
            RemoteClusterId = decoder.ClusterId,
            RemoteRoleType = LlmRole.Decoder,
            LocalIpInfos = [new IpInfo { Ip = prompt.Ip }],
            RemoteIpInfos = [new IpInfo { Ip = decoder.Ip, Port = ListenPort }],
        };
        try
        {
            await ForceUnlinkAsync(decoder, cluster).ConfigureAwait(true);
            TornDown(_pairs[prompt.Index, decoder.Index]);
            await ForceUnlinkAsync(prompt, reverse).ConfigureAwait(true);
            var results = await decoder.Client.LinkLlmClustersAsync([cluster]).ConfigureAwait(true);
            _relinks += results.AllSucceeded ? 1 : 0;
            return results.AllSucceeded;
        }
        catch (LlmDataDistException)
        {
            // Still broken (the fault is active): the next failing pull tries again.
            return false;
        }
    }

    // A side that has no record any more (an earlier recovery removed it) is already where the recipe wants it.
    private static async Task ForceUnlinkAsync(Instance instance, ClusterInfo cluster)
    {
        try
        {
            await instance.Client.UnlinkLlmClustersAsync([cluster], forceFlag: true).ConfigureAwait(true);
        }
        catch (LlmDataDistException ex) when (ex.Status == LlmStatus.NotYetLink)
        {
        }
    }

    /// <summary>A pull timed out: its bytes may still land in the request's decoder blocks until the link is torn down.</summary>
    private void TimedOut(LinkPair pair, DecoderBlocks held)
    {
        if (!_spec.Quarantine)
        {
            // The naive scheduler: the blocks go back now, and the next request may get them while bytes still land.
            Give(held.Decoder, held.Blocks);
            held.Released = true;
            return;
        }

        held.AwaitingTeardown = pair;
        held.QuarantinedSinceNs = _world.NowNs;
        pair.Quarantined.Add(held);
        _blocksQuarantined += held.Blocks.Length * _slotBlocks;
        _quarantinedNow += held.Blocks.Length * _slotBlocks;
        _quarantinePeak = Math.Max(_quarantinePeak, _quarantinedNow);
    }

    /// <summary>The decoder's side of the link is gone: nothing of a pull that timed out on it lands any more.</summary>
    private void TornDown(LinkPair pair)
    {
        foreach (var held in pair.Quarantined)
        {
            _quarantineBlockNs += (_world.NowNs - held.QuarantinedSinceNs) * held.Blocks.Length * _slotBlocks;
            _quarantinedNow -= held.Blocks.Length * _slotBlocks;
            held.AwaitingTeardown = null;
            if (held.Parked)
            {
                Give(held.Decoder, held.Blocks);
            }
        }

        pair.Quarantined.Clear();
    }

    /// <summary>The request is done with its decoder blocks: back to the pool, unless they still wait for a teardown.</summary>
    private void Release(DecoderBlocks held)
    {
        if (held.Released)
        {
            return;
        }

        if (held.AwaitingTeardown is not null)
        {
            held.Parked = true;
            return;
        }

        Give(held.Decoder, held.Blocks);
    }

    private ulong[] Take(Instance instance, int blocks)
    {
        var taken = new ulong[blocks];
        for (var i = 0; i < blocks; i++)
        {
            taken[i] = instance.FreeBlocks.Pop();
        }

        PoolChanged(instance, blocks * _slotBlocks);
        return taken;
    }

    private void Give(Instance instance, ulong[] blocks)
    {
        for (var i = blocks.Length - 1; i >= 0; i--)
        {
            instance.FreeBlocks.Push(blocks[i]);
        }

        PoolChanged(instance, -blocks.Length * _slotBlocks);
    }

    private void PoolChanged(Instance instance, int delta)
    {
        if (delta == 0)
        {
            return;
        }

        if (instance.IsPrompt)
        {
            _promptBlocksUsed += delta;
        }
        else
        {
            _decoderBlocksUsed += delta;
        }

        _observer?.OnPoolUsage(_world.NowNs, _promptBlocksUsed, _decoderBlocksUsed);
    }

    /// <summary>With real bytes, the prompt's blocks of layers [<paramref name="firstLayer"/>, <paramref name="layersEnd"/>)
    /// carry the request's id, so a misrouted block, or one moved before prefill computed it, cannot pass verification.</summary>
    private void WritePattern(Instance prompt, ulong[] blocks, int id, int firstLayer, int layersEnd)
    {
        if (_spec.MetadataOnly)
        {
            return;
        }

        var blockBytes = _spec.KvModel.BlockBytes;
        var data = new byte[blockBytes];
        for (var t = firstLayer * KvModel.TensorsPerLayer; t < layersEnd * KvModel.TensorsPerLayer; t++)
        {
            foreach (var block in blocks)
            {
                Pattern(data, id, t, block);
                _world.Memory.TryResolve(prompt.Pool.TensorAddrs[t] + (block * (ulong)blockBytes), blockBytes, out var range);
                range.Write(data);
            }
        }
    }

    private static void Pattern(Span<byte> data, int id, int tensor, ulong promptBlock)
    {
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = unchecked((byte)((id * 131) + (tensor * 17) + ((int)promptBlock * 7) + i));
        }
    }

    /// <summary>Whether the decoder's blocks still hold the request's pattern (its prompt blocks may serve others by now).</summary>
    private bool StillHolds(int id, ulong[] srcBlocks, Instance decoder, ulong[] dstBlocks)
    {
        var blockBytes = _spec.KvModel.BlockBytes;
        var expected = new byte[blockBytes];
        for (var t = 0; t < decoder.Pool.TensorAddrs.Count; t++)
        {
            for (var j = 0; j < srcBlocks.Length; j++)
            {
                Pattern(expected, id, t, srcBlocks[j]);
                _world.Memory.TryResolve(decoder.Pool.TensorAddrs[t] + (dstBlocks[j] * (ulong)blockBytes), blockBytes, out var destination);
                if (!destination.Span.SequenceEqual(expected))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private bool Matches(Instance prompt, ulong[] srcBlocks, Instance decoder, ulong[] dstBlocks)
    {
        var blockBytes = _spec.KvModel.BlockBytes;
        for (var t = 0; t < prompt.Pool.TensorAddrs.Count; t++)
        {
            for (var j = 0; j < srcBlocks.Length; j++)
            {
                _world.Memory.TryResolve(prompt.Pool.TensorAddrs[t] + (srcBlocks[j] * (ulong)blockBytes), blockBytes, out var source);
                _world.Memory.TryResolve(decoder.Pool.TensorAddrs[t] + (dstBlocks[j] * (ulong)blockBytes), blockBytes, out var destination);
                if (!source.Span.SequenceEqual(destination.Span))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
