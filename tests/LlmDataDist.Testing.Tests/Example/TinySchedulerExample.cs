using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Testing.Tests.Example;

/// <summary>The code under test: sends each request to the decoder with the most free KV blocks and pulls the
/// request's blocks from its prompt into free blocks of that decoder.</summary>
public sealed class TinyScheduler
{
    private readonly IReadOnlyDictionary<ulong, (LlmDataDistClient Client, Cache Cache)> _decoders;
    private readonly SortedDictionary<ulong, Queue<ulong>> _free = [];

    public TinyScheduler(IReadOnlyDictionary<ulong, (LlmDataDistClient Client, Cache Cache)> decoders)
    {
        _decoders = decoders;
        foreach (var (id, decoder) in decoders)
        {
            _free[id] = new Queue<ulong>(Enumerable.Range(0, (int)decoder.Cache.CacheDesc.Shape[0]).Select(b => (ulong)b));
        }
    }

    /// <summary>Returns the decoder and its blocks now holding the request's KV, or null when no decoder has room.</summary>
    public async Task<(ulong Decoder, ulong[] Blocks)?> ScheduleAsync(ulong promptId, long promptCacheId, IReadOnlyList<ulong> promptBlocks)
    {
        var candidates = _free.Where(f => f.Value.Count >= promptBlocks.Count).OrderByDescending(f => f.Value.Count).ToList();
        if (candidates.Count == 0)
        {
            return null;
        }

        var (decoderId, free) = (candidates[0].Key, candidates[0].Value);
        var blocks = promptBlocks.Select(_ => free.Dequeue()).ToArray();
        var (client, cache) = _decoders[decoderId];
        await client.PullKvBlocksAsync(new CacheIndex(promptId, promptCacheId, 0), cache, promptBlocks, blocks);
        return (decoderId, blocks);
    }
}

public sealed class TinySchedulerProperties
{
    // K and V of one layer: 16 blocks of 8 float16 (16 bytes) per tensor.
    private static readonly CacheDesc Kv = new(CachePlacement.Device, 2, DataType.Float16, [16, 8]);

    [Property(MaxTest = 25)]
    public Property Scheduled_requests_get_private_decoder_blocks_holding_exactly_their_prompt_blocks() =>
        SimulationProperty.ForAll(
            Arb.Zip(LlmArbitraries.ClusterLayouts(), Arb.Array(LlmArbitraries.BlockPairs(sourceRows: 16, destinationRows: 16, lengthMax: 5))),
            EngineProfile.CE,
            async (sim, input) =>
            {
                var (layout, requests) = input;
                var clients = layout.Clusters.ToDictionary(c => c.ClusterId, sim.CreateClient);
                var caches = new Dictionary<ulong, Cache>();
                foreach (var cluster in layout.Clusters)
                {
                    await clients[cluster.ClusterId].InitializeAsync(SimulationContext.OptionsFor(cluster, listen: cluster.Role == LlmRole.Prompt));
                    caches[cluster.ClusterId] = await clients[cluster.ClusterId].AllocateCacheAsync(Kv);
                }

                foreach (var decoder in layout.DecoderClusters)
                {
                    var prompts = layout.PromptClusters.Select(p => SimulationContext.LinkTarget(decoder.ClusterId, p.ClusterId)).ToList();
                    await clients[decoder.ClusterId].LinkLlmClustersAsync(prompts);
                }

                var scheduler = new TinyScheduler(layout.DecoderClusters.ToDictionary(d => d.ClusterId, d => (clients[d.ClusterId], caches[d.ClusterId])));
                var placed = new Dictionary<(ulong Decoder, ulong Block), byte[][]>(); // what each used block must hold
                var rowBytes = LlmArbitraries.RowBytes(Kv);
                for (var i = 0; i < requests.Length; i++)
                {
                    var prompt = layout.PromptClusters[i % layout.PromptClusters.Count].ClusterId;
                    sim.Fill(caches[prompt], (byte)i); // this request's KV
                    var kv = sim.Read(caches[prompt]);
                    var result = await scheduler.ScheduleAsync(prompt, caches[prompt].CacheId, requests[i].Source);
                    if (result is not var (decoder, blocks))
                    {
                        continue; // no room left: a real scheduler would queue it
                    }

                    for (var j = 0; j < blocks.Length; j++)
                    {
                        var row = kv.Select(t => t.AsSpan((int)((long)requests[i].Source[j] * rowBytes), (int)rowBytes).ToArray()).ToArray();
                        Assert.True(placed.TryAdd((decoder, blocks[j]), row), $"request {i}: block {blocks[j]} of decoder {decoder} was already in use");
                    }
                }

                // Every block still holds what was pulled into it: no later request overwrote it.
                foreach (var ((decoder, block), expected) in placed)
                {
                    var actual = sim.Read(caches[decoder]);
                    for (var t = 0; t < expected.Length; t++)
                    {
                        Assert.Equal(expected[t], actual[t].AsSpan((int)((long)block * rowBytes), (int)rowBytes).ToArray());
                    }
                }
            },
            settingsFor: input => SimulationSettings.For(input.Item1));
}
