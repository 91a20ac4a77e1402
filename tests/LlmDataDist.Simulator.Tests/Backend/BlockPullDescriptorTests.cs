using LlmDataDist.Simulator.Backend;
using LlmDataDist.Simulator.Semantics;
using static LlmDataDist.Samples.Simulated.SimulatedKit;

namespace LlmDataDist.Simulator.Tests.Backend;

/// <summary>
/// A block pull sends one descriptor per run of copies where source and destination both advance contiguously, in
/// block-major order (every tensor of block 0, then of block 1...): only a one-tensor cache can merge across blocks.
/// The descriptor count prices the transfer (the path's per-block cost), so it is visible in the Transfer span.
/// </summary>
public sealed class BlockPullDescriptorTests
{
    public static TheoryData<uint, ulong[], ulong[], int> Cases() => new()
    {
        { 1, [0, 1, 2, 3], [4, 5, 6, 7], 1 },  // one tensor, both sides contiguous: one run
        { 1, [0, 1, 2, 3], [4, 5, 7, 8], 2 },  // the destination jumps once
        { 1, [3, 2, 1, 0], [0, 1, 2, 3], 4 },  // the source runs backwards: nothing merges
        { 1, [5], [9], 1 },
        { 2, [0, 1], [2, 3], 4 },              // two tensors: block-major order never joins the same tensor twice in a row
        { 4, [0, 1, 2], [3, 4, 5], 12 },
        { 1, [2, 2], [6, 7], 2 },              // the same source block twice: the second copy does not continue the first
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_block_pull_sends_one_descriptor_per_contiguous_run(uint tensors, ulong[] srcBlocks, ulong[] dstBlocks, int descriptors)
    {
        // [16, 256] int32 per tensor: 16 blocks of 1 KiB.
        var desc = new CacheDesc(CachePlacement.Device, tensors, DataType.Int32, [16, 256]);
        using var world = new SimulatedWorld(1, Topology.A2(1), options: new SimulationOptions(Jitter: false));
        var fabric = new SimulatedFabric(world, EngineProfile.CE);
        var prompt = fabric.Factory(0).Create(PromptId, LlmRole.Prompt);
        var decoder = fabric.Factory(0).Create(DecoderId, LlmRole.Decoder);
        world.Run(async () =>
        {
            Assert.Equal(LlmStatus.Success, await prompt.InitializeAsync(Options(0, $"{PromptIp}:{PromptPort}")));
            Assert.Equal(LlmStatus.Success, await decoder.InitializeAsync(Options(1, null)));
            var source = await prompt.AllocateCacheAsync(desc);
            var destination = await decoder.AllocateCacheAsync(desc);
            Assert.Equal(LlmStatus.Success, (await decoder.LinkLlmClustersAsync([DecoderToPrompt], 1000)).Status);
            Assert.Equal(LlmStatus.Success, await decoder.PullKvBlocksAsync(new CacheIndex(PromptId, source.Cache.CacheId, 0), destination.Cache, srcBlocks, dstBlocks, new KvCacheExtParam()));
        });

        var span = world.Trace.Events.Single(e => e.Name == "Transfer" && long.Parse(Arg(e, "bytes"), System.Globalization.CultureInfo.InvariantCulture) == srcBlocks.Length * tensors * 1024L);
        Assert.Equal(descriptors.ToString(System.Globalization.CultureInfo.InvariantCulture), Arg(span, "blocks"));
    }

    private static Dictionary<string, string> Options(int device, string? listen)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal) { [LlmOptionKeys.DeviceId] = device.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (listen is not null)
        {
            options[LlmOptionKeys.ListenIpInfo] = listen;
        }

        return options;
    }

    private static string Arg(TraceEvent e, string key) => e.Args.Single(a => a.Key == key).Value;
}
