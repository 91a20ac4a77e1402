using LlmDataDist.Simulator;
using LlmDataDist.Simulator.Backend;
using LlmDataDist.Simulator.Semantics;
using static LlmDataDist.Samples.Simulated.SimulatedKit;

namespace LlmDataDist.Samples.Simulated;

/// <summary>One call of the workload: when it ran in virtual time, the budget it had, its status, and whether the data
/// rule held (a successful pull wrote exactly the requested rows; a failed one changed nothing); null when there was
/// nothing to check or the destination's memory was gone.</summary>
public sealed record CallRecord(string Operation, long StartNs, long EndNs, long BudgetNs, LlmStatus Status, bool? DataOk)
{
    public long DurationNs => EndNs - StartNs;
}

/// <summary>The outcome of a run: every call, the trace and its hash.</summary>
public sealed record WorkloadReport(ulong Seed, EngineProfile Profile, FaultPlan Plan, IReadOnlyList<CallRecord> Calls, Trace Trace, long EndNs)
{
    public string TraceHash => Trace.HashHex;

    public IEnumerable<CallRecord> Pulls => Calls.Where(c => c.Operation.StartsWith("Pull", StringComparison.Ordinal));

    public override string ToString() =>
        $"seed {Seed} {Profile}: {Pulls.Count(p => p.Status == LlmStatus.Success)}/{Pulls.Count()} pulls succeeded, "
        + $"{Calls.Count(c => c.DataOk == false)} data violations, {Calls.Count} calls, {SimTime.Format(EndNs)} virtual, trace {TraceHash}";
}

/// <summary>
/// A 1P1D pull workload under a fault plan (by default <see cref="FaultPlan.Chaos"/> of the seed): each round makes
/// sure both instances have a cache and a link (recovering with the recipe that works in both engines: force-unlink
/// both sides, link again), fills the prompt's cache, and pulls a row or two blocks. It checks the data of every pull
/// and records every call, so a test can assert "success means exact bytes" and "no call outlives its budget", and
/// <c>--trace-hash</c> can print the run's hash.
/// </summary>
public static class ChaosPullWorkload
{
    /// <summary>llm.SyncKvCacheWaitTime of the workload.</summary>
    public static readonly TimeSpan TransferWait = TimeSpan.FromMilliseconds(20);

    /// <summary>timeout_in_millis of every Link and Unlink.</summary>
    public static readonly TimeSpan LinkTimeout = TimeSpan.FromMilliseconds(200);

    /// <summary>Virtual pause between rounds.</summary>
    public static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(4);

    /// <summary>4 tensors of 8 rows x 16 int32 (64-byte rows).</summary>
    private static readonly CacheDesc Desc = new(CachePlacement.Device, 4, DataType.Int32, [8, 16]);

    /// <summary>The chaos plan of a seed for the 1P1D topology: faults may hit either NPU and either cluster.</summary>
    public static FaultPlan PlanFor(ulong seed) => FaultPlan.Chaos(seed, npuCount: 2, clusterIds: [PromptId, DecoderId]);

    /// <summary>Runs the workload.</summary>
    /// <param name="seed">The world's seed (and the chaos plan's, when <paramref name="plan"/> is null).</param>
    /// <param name="profile">The engine.</param>
    /// <param name="rounds">Rounds to run.</param>
    /// <param name="plan">The faults; <see cref="PlanFor"/> of the seed when null.</param>
    public static WorkloadReport Run(ulong seed, EngineProfile profile = EngineProfile.CE, int rounds = 40, FaultPlan? plan = null)
    {
        plan ??= PlanFor(seed);
        using var world = new SimulatedWorld(seed, OnePromptOneDecoder(), plan);
        var fabric = new SimulatedFabric(world, profile);
        var calls = new List<CallRecord>();
        world.Run(() => RunRoundsAsync(world, fabric, calls, rounds));
        return new WorkloadReport(seed, profile, plan, calls, world.Trace, world.NowNs);
    }

    private static async Task RunRoundsAsync(SimulatedWorld world, SimulatedFabric fabric, List<CallRecord> calls, int rounds)
    {
        var hx = fabric.Profile == EngineProfile.HX;
        var wait = SimTime.FromTimeSpan(TransferWait);
        var linkBudget = SimTime.FromTimeSpan(LinkTimeout);
        await using var prompt = LlmDataDistClient.Create(fabric.Factory(server: 0), PromptId, LlmRole.Prompt, ClientOptions(world));
        await using var decoder = LlmDataDistClient.Create(fabric.Factory(server: 1), DecoderId, LlmRole.Decoder, ClientOptions(world));
        var promptSim = fabric.InstancesOf(PromptId).Single();
        var decoderSim = fabric.InstancesOf(DecoderId).Single();
        var promptOptions = new LlmDataDistOptions { DeviceId = 0, ListenIpInfo = PromptEndpoint, SyncKvCacheWaitTime = TransferWait };
        var decoderOptions = new LlmDataDistOptions { DeviceId = 0, SyncKvCacheWaitTime = TransferWait };
        Cache? promptCache = null;
        Cache? decoderCache = null;
        ulong[]? promptMemory = null;
        ulong[]? decoderMemory = null;
        var relink = false;

        async Task<LlmStatus> Call(string operation, long budgetNs, Func<Task> call, Func<LlmStatus, bool?>? check = null)
        {
            var start = world.NowNs;
            var status = LlmStatus.Success;
            try
            {
                await call();
            }
            catch (LlmDataDistException ex)
            {
                status = ex.Status;
            }

            calls.Add(new CallRecord(operation, start, world.NowNs, budgetNs, status, check?.Invoke(status)));
            return status;
        }

        // A cache the instance still knows; re-created after a crash (CE allocates, HX registers its own memory).
        async Task<Cache?> EnsureCacheAsync(LlmDataDistClient client, SimulatedBackend sim, Cache? cache, int server, ulong[]? memory, Action<ulong[]> keep)
        {
            if (cache is not null && sim.CacheIds.Contains(cache.CacheId))
            {
                return cache;
            }

            Cache? made = null;
            if (!hx)
            {
                await Call("AllocateCache", 0, async () => made = await client.AllocateCacheAsync(Desc));
                return made;
            }

            memory ??= AllocateTensors(world, server, Desc, $"cluster{sim.ClusterId}/kv");
            if (memory is null)
            {
                return null; // an allocation fault: try again next round
            }

            keep(memory);
            await Call("RegisterKvCache", 0, async () => made = new Cache(await client.RegisterKvCacheAsync(Desc, memory, new RegisterCfg()), memory, Desc));
            return made;
        }

        for (var round = 0; round < rounds; round++)
        {
            if (round > 0)
            {
                await Task.Delay(Pause, world.TimeProvider);
            }

            // A crashed instance answers FAILED until the plan restarts it (and then it is initialized again by itself).
            if ((!promptSim.IsInitialized && await Call("Initialize", 0, () => prompt.InitializeAsync(promptOptions).AsTask()) != LlmStatus.Success)
                || (!decoderSim.IsInitialized && await Call("Initialize", 0, () => decoder.InitializeAsync(decoderOptions).AsTask()) != LlmStatus.Success))
            {
                continue;
            }

            promptCache = await EnsureCacheAsync(prompt, promptSim, promptCache, 0, promptMemory, m => promptMemory = m);
            decoderCache = await EnsureCacheAsync(decoder, decoderSim, decoderCache, 1, decoderMemory, m => decoderMemory = m);
            if (promptCache is null || decoderCache is null)
            {
                continue;
            }

            if (relink || !decoderSim.LinkedClusterIds.Contains(PromptId))
            {
                // The recovery recipe of both engines: force-unlink on both sides, then link again from the client.
                await Call("UnlinkLlmClusters", linkBudget, () => decoder.UnlinkLlmClustersAsync([DecoderToPrompt], LinkTimeout, forceFlag: true).AsTask());
                await Call("UnlinkLlmClusters", linkBudget, () => prompt.UnlinkLlmClustersAsync([PromptToDecoder], LinkTimeout, forceFlag: true).AsTask());
                if (await Call("LinkLlmClusters", linkBudget, () => decoder.LinkLlmClustersAsync([DecoderToPrompt], LinkTimeout).AsTask()) != LlmStatus.Success)
                {
                    continue;
                }

                relink = false;
            }

            var (src, dst) = (promptCache, decoderCache);
            if (!promptSim.CacheIds.Contains(src.CacheId) || !decoderSim.CacheIds.Contains(dst.CacheId))
            {
                continue; // a crash while linking took a cache away
            }

            Fill(world, src, (byte)round);
            Fill(world, dst, (byte)(round + 128));
            var source = TryRead(world, src)!;
            var before = TryRead(world, dst)!;
            var rows = round % 2 == 0
                ? new (long From, long To)[] { (round % 8, (round + 1) % 8) }
                : [(round % 8, (round + 1) % 8), ((round + 3) % 8, (round + 5) % 8)];
            bool? Check(LlmStatus status)
            {
                var after = TryRead(world, dst);
                if (after is null)
                {
                    return null; // the decoder crashed at this very instant and took its memory with it
                }

                var expected = status == LlmStatus.Success ? Expected(source, before, RowBytes(Desc), rows) : before;
                return FirstDifference(expected, after) is null;
            }

            var index = new CacheIndex(PromptId, src.CacheId, rows.Length == 1 ? (uint)rows[0].From : 0);
            var pulled = rows.Length == 1
                ? await Call("PullKvCache", wait, () => decoder.PullKvCacheAsync(index, dst, (uint)rows[0].To).AsTask(), Check)
                : await Call("PullKvBlocks", wait, () => decoder.PullKvBlocksAsync(index, dst, [.. rows.Select(r => (ulong)r.From)], [.. rows.Select(r => (ulong)r.To)]).AsTask(), Check);
            relink = pulled != LlmStatus.Success;
        }
    }
}
