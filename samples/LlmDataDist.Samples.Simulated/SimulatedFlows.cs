using LlmDataDist.Simulator;
using LlmDataDist.Simulator.Backend;
using LlmDataDist.Simulator.Semantics;
using static LlmDataDist.Samples.Simulated.SimulatedKit;

namespace LlmDataDist.Samples.Simulated;

/// <summary>How a flow went: its name, the virtual time it took, and whether every byte checked on the decoder side
/// was the one expected.</summary>
public sealed record FlowResult(string Name, long VirtualNs, bool Verified);

/// <summary>
/// The official prompt/decoder flows of LLM-DataDist, run against the simulator through the typed client. Each flow
/// builds its own two-server Atlas A2 world, so it is a pure function of its seed; the decoder side checks every
/// byte it received (the rows moved equal the prompt's, every other row is untouched).
/// </summary>
public static class SimulatedFlows
{
    /// <summary>4 tensors (2 layers x K, V) of 4 rows x 256 int32: a contiguous cache of 4 batches of 1 KiB.</summary>
    private static readonly CacheDesc Contiguous = new(CachePlacement.Device, 4, DataType.Int32, [4, 256]);

    /// <summary>4 tensors of 16 blocks x 128 fp16: a paged cache of 16 blocks of 256 bytes.</summary>
    private static readonly CacheDesc Paged = new(CachePlacement.Device, 4, DataType.Float16, [16, 128]);

    /// <summary>Runs the three flows in order.</summary>
    /// <param name="log">Where each flow prints its steps.</param>
    /// <returns>One result per flow.</returns>
    public static IReadOnlyList<FlowResult> RunAll(TextWriter log) =>
        [DecoderPullsFromPrompt(log), PromptPushesToDecoder(log), SwitchRoles(log)];

    /// <summary>(a) CE: the decoder links to the listening prompt and pulls a cache row and a list of blocks.</summary>
    public static FlowResult DecoderPullsFromPrompt(TextWriter log, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(log);
        using var world = new SimulatedWorld(seed, Topology.A2(servers: 2));
        var fabric = new SimulatedFabric(world, EngineProfile.CE);
        var flow = new Flow(log, world, "(a) CE: the decoder pulls a cache and blocks from the prompt");
        return world.Run(async () =>
        {
            await using var prompt = LlmDataDistClient.Create(fabric.Factory(server: 0), PromptId, LlmRole.Prompt, ClientOptions(world));
            await using var decoder = LlmDataDistClient.Create(fabric.Factory(server: 1), DecoderId, LlmRole.Decoder, ClientOptions(world));
            await prompt.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, ListenIpInfo = PromptEndpoint, SyncKvCacheWaitTime = TransferWait });
            await decoder.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, SyncKvCacheWaitTime = TransferWait });
            flow.Step($"prompt {PromptId} listens on {PromptEndpoint} (server 0), decoder {DecoderId} on server 1");

            var linked = await decoder.LinkLlmClustersAsync([DecoderToPrompt], TimeSpan.FromSeconds(1));
            flow.Step($"decoder linked to the prompt: {linked}");

            var source = await prompt.AllocateCacheAsync(Contiguous);
            var destination = await decoder.AllocateCacheAsync(Contiguous);
            Fill(world, source, seed: 11);
            Fill(world, destination, seed: 22);
            flow.Step($"both allocated a contiguous cache (prompt id {source.CacheId}, decoder id {destination.CacheId}); prompt filled it");
            await flow.MoveAsync("decoder pulls prompt batch 2 into its batch 1", source, destination, [(2, 1)],
                () => decoder.PullKvCacheAsync(new CacheIndex(PromptId, source.CacheId, 2), destination, batchIndex: 1));

            var sourceBlocks = await prompt.AllocateCacheAsync(Paged);
            var destinationBlocks = await decoder.AllocateCacheAsync(Paged);
            Fill(world, sourceBlocks, seed: 33);
            Fill(world, destinationBlocks, seed: 44);
            flow.Step("both allocated a paged cache of 16 blocks; prompt filled it");
            await flow.MoveAsync("decoder pulls prompt blocks 0..3 into its blocks 4..7", sourceBlocks, destinationBlocks, [(0, 4), (1, 5), (2, 6), (3, 7)],
                () => decoder.PullKvBlocksAsync(new CacheIndex(PromptId, sourceBlocks.CacheId, 0), destinationBlocks, [0, 1, 2, 3], [4, 5, 6, 7]));

            var unlinked = await decoder.UnlinkLlmClustersAsync([DecoderToPrompt]);
            flow.Step($"decoder unlinked: {unlinked}");
            return flow.Result();
        });
    }

    /// <summary>(b) HX: both sides register their own device memory; the prompt links to the listening decoder and
    /// pushes a cache row and a list of blocks (the HX sample prompt_push_cache_and_blocks).</summary>
    public static FlowResult PromptPushesToDecoder(TextWriter log, ulong seed = 2)
    {
        ArgumentNullException.ThrowIfNull(log);
        using var world = new SimulatedWorld(seed, Topology.A2(servers: 2));
        var fabric = new SimulatedFabric(world, EngineProfile.HX);
        var flow = new Flow(log, world, "(b) HX: the prompt pushes a cache and blocks to the decoder (registered memory)");
        return world.Run(async () =>
        {
            await using var prompt = LlmDataDistClient.Create(fabric.Factory(server: 0), PromptId, LlmRole.Prompt, ClientOptions(world));
            await using var decoder = LlmDataDistClient.Create(fabric.Factory(server: 1), DecoderId, LlmRole.Decoder, ClientOptions(world));
            await decoder.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, ListenIpInfo = DecoderEndpoint, SyncKvCacheWaitTime = TransferWait });
            await prompt.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, SyncKvCacheWaitTime = TransferWait });
            flow.Step($"decoder {DecoderId} listens on {DecoderEndpoint} (server 1), prompt {PromptId} on server 0");

            // HX reads the peer's cache table at the first transfer over a link: register everything before it.
            var source = await RegisterAsync(world, prompt, server: 0, Contiguous, "prompt/kv");
            var destination = await RegisterAsync(world, decoder, server: 1, Contiguous, "decoder/kv");
            var sourceBlocks = await RegisterAsync(world, prompt, server: 0, Paged, "prompt/blocks");
            var destinationBlocks = await RegisterAsync(world, decoder, server: 1, Paged, "decoder/blocks");
            Fill(world, source, seed: 55);
            Fill(world, destination, seed: 66);
            Fill(world, sourceBlocks, seed: 77);
            Fill(world, destinationBlocks, seed: 88);
            flow.Step($"both registered a contiguous and a paged cache (decoder ids {destination.CacheId}, {destinationBlocks.CacheId}); prompt filled its own");

            var linked = await prompt.LinkLlmClustersAsync([PromptToDecoder], TimeSpan.FromSeconds(1));
            flow.Step($"prompt linked to the decoder: {linked}");
            await flow.MoveAsync("prompt pushes its batch 2 into decoder batch 1", source, destination, [(2, 1)],
                () => prompt.PushKvCacheAsync(source, new CacheIndex(DecoderId, destination.CacheId, 1), srcBatchIndex: 2));
            await flow.MoveAsync("prompt pushes its blocks 0..2 into decoder blocks 5..7", sourceBlocks, destinationBlocks, [(0, 5), (1, 6), (2, 7)],
                () => prompt.PushKvBlocksAsync(sourceBlocks, new CacheIndex(DecoderId, destinationBlocks.CacheId, 0), [0, 1, 2], [5, 6, 7]));

            var unlinked = await prompt.UnlinkLlmClustersAsync([PromptToDecoder]);
            flow.Step($"prompt unlinked (the decoder's listener answered): {unlinked}");
            foreach (var (client, cache) in new[] { (prompt, source), (prompt, sourceBlocks), (decoder, destination), (decoder, destinationBlocks) })
            {
                await client.UnregisterKvCacheAsync(cache.CacheId);
            }

            return flow.Result();
        });
    }

    /// <summary>(c) CE with llm.EnableSwitchRole=1: instance 1 serves instance 2 as prompt; they unlink, swap roles
    /// with SetRole, and link the other way round so that 1 now pulls from 2.</summary>
    public static FlowResult SwitchRoles(TextWriter log, ulong seed = 3)
    {
        ArgumentNullException.ThrowIfNull(log);
        using var world = new SimulatedWorld(seed, Topology.A2(servers: 2));
        var fabric = new SimulatedFabric(world, EngineProfile.CE);
        var flow = new Flow(log, world, "(c) CE: switch roles (unlink, SetRole on both sides, link the other way)");
        return world.Run(async () =>
        {
            await using var first = LlmDataDistClient.Create(fabric.Factory(server: 0), PromptId, LlmRole.Prompt, ClientOptions(world));
            await using var second = LlmDataDistClient.Create(fabric.Factory(server: 1), DecoderId, LlmRole.Decoder, ClientOptions(world));
            await first.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, ListenIpInfo = PromptEndpoint, EnableSwitchRole = true, SyncKvCacheWaitTime = TransferWait });
            await second.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, EnableSwitchRole = true, SyncKvCacheWaitTime = TransferWait });
            var firstCache = await first.AllocateCacheAsync(Paged);
            var secondCache = await second.AllocateCacheAsync(Paged);
            flow.Step($"instance {PromptId} is the prompt (listens on {PromptEndpoint}), instance {DecoderId} the decoder; both allocated a paged cache");

            await second.LinkLlmClustersAsync([DecoderToPrompt], TimeSpan.FromSeconds(1));
            Fill(world, firstCache, seed: 101);
            Fill(world, secondCache, seed: 102);
            await flow.MoveAsync($"decoder {DecoderId} pulls blocks 0..3 of prompt {PromptId} into its blocks 8..11", firstCache, secondCache, [(0, 8), (1, 9), (2, 10), (3, 11)],
                () => second.PullKvBlocksAsync(new CacheIndex(PromptId, firstCache.CacheId, 0), secondCache, [0, 1, 2, 3], [8, 9, 10, 11]));

            // A role switch needs no links on either side: a non-force unlink from the decoder removes both records.
            await second.UnlinkLlmClustersAsync([DecoderToPrompt]);
            await first.SetRoleAsync(LlmRole.Decoder);
            await second.SetRoleAsync(LlmRole.Prompt, new LlmDataDistOptions { ListenIpInfo = DecoderEndpoint });
            flow.Step($"unlinked; instance {PromptId} is now a decoder, instance {DecoderId} a prompt listening on {DecoderEndpoint}");

            await first.LinkLlmClustersAsync([PromptToDecoder], TimeSpan.FromSeconds(1));
            Fill(world, secondCache, seed: 103);
            await flow.MoveAsync($"decoder {PromptId} pulls blocks 12..15 of prompt {DecoderId} into its blocks 0..3", secondCache, firstCache, [(12, 0), (13, 1), (14, 2), (15, 3)],
                () => first.PullKvBlocksAsync(new CacheIndex(DecoderId, secondCache.CacheId, 0), firstCache, [12, 13, 14, 15], [0, 1, 2, 3]));
            await first.UnlinkLlmClustersAsync([PromptToDecoder]);
            flow.Step("unlinked");
            return flow.Result();
        });
    }

    private static async Task<Cache> RegisterAsync(SimulatedWorld world, LlmDataDistClient client, int server, CacheDesc desc, string tag)
    {
        var addresses = AllocateTensors(world, server, desc, tag) ?? throw new InvalidOperationException($"{tag}: device memory exhausted");
        var id = await client.RegisterKvCacheAsync(desc, addresses, new RegisterCfg());
        return new Cache(id, addresses, desc);
    }

    /// <summary>One flow's log and verdict.</summary>
    private sealed class Flow
    {
        private readonly TextWriter _log;
        private readonly SimulatedWorld _world;
        private readonly string _name;
        private readonly long _startNs;
        private bool _verified = true;

        public Flow(TextWriter log, SimulatedWorld world, string name)
        {
            (_log, _world, _name, _startNs) = (log, world, name, world.NowNs);
            log.WriteLine(name);
        }

        public void Step(string text) => _log.WriteLine($"  [{SimTime.Format(_world.NowNs)}] {text}");

        /// <summary>Runs one transfer, then compares the whole destination on the decoder side with what it must hold.</summary>
        public async Task MoveAsync(string what, Cache source, Cache destination, IReadOnlyList<(long From, long To)> rows, Func<ValueTask> transfer)
        {
            var sourceBytes = TryRead(_world, source)!;
            var before = TryRead(_world, destination)!;
            var startNs = _world.NowNs;
            await transfer();
            var tookNs = _world.NowNs - startNs;
            var expected = Expected(sourceBytes, before, RowBytes(destination.CacheDesc), rows);
            var actual = TryRead(_world, destination);
            (int Tensor, long Byte)? difference = actual is null ? (-1, -1) : FirstDifference(expected, actual);
            if (difference is { } d)
            {
                _verified = false;
                Step($"{what}: took {SimTime.Format(tookNs)}, DATA MISMATCH at tensor {d.Tensor}, byte {d.Byte}");
                return;
            }

            Step($"{what}: took {SimTime.Format(tookNs)}, data verified ({rows.Count} rows x {expected.Length} tensors, every other row untouched)");
        }

        public FlowResult Result()
        {
            var result = new FlowResult(_name, _world.NowNs - _startNs, _verified);
            _log.WriteLine($"  {(_verified ? "data verified" : "DATA MISMATCH")}; the flow took {SimTime.Format(result.VirtualNs)} of virtual time");
            return result;
        }
    }
}
