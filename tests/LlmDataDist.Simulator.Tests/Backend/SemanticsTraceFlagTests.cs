using LlmDataDist.Simulator.Backend;
using LlmDataDist.Simulator.Semantics;
using static LlmDataDist.Samples.Simulated.SimulatedKit;

namespace LlmDataDist.Simulator.Tests.Backend;

/// <summary>
/// Reference §12.6–12.7: where the engine performs no check (UB→sim) the simulator's substitute status is flagged in
/// the trace, and so is a failure that leaves earlier copies of the same call written (a partial effect); a failure
/// the engine itself checks, before anything is written, is not flagged.
/// </summary>
public sealed class SemanticsTraceFlagTests
{
    private static readonly CacheDesc Sample = new(CachePlacement.Device, 4, DataType.Int32, [8, 16]);

    [Theory]
    [InlineData(EngineProfile.CE, LlmStatus.KvCacheNotExist, 0)] // CE checks the remote row itself
    [InlineData(EngineProfile.HX, LlmStatus.ParamInvalid, 1)]    // HX does not: the simulator substitutes
    public void A_remote_row_out_of_range_is_flagged_only_where_the_engine_does_not_check_it(EngineProfile profile, LlmStatus expected, int flags)
    {
        var events = Run(profile, async (prompt, decoder, src, dst, _) =>
            Assert.Equal(expected, await decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 8), dst, 0, -1, new KvCacheExtParam())));
        Assert.Equal(flags, events.Count(e => e.Name == "UbSubstitute"));
        Assert.DoesNotContain(events, e => e.Name == "PartialEffect");
    }

    [Theory]
    [InlineData(EngineProfile.CE)]
    [InlineData(EngineProfile.HX)]
    public void A_push_failing_at_a_later_layer_is_flagged_as_a_partial_effect_and_one_failing_at_the_first_is_not(EngineProfile profile)
    {
        var events = Run(profile, async (prompt, decoder, src, dst, make) =>
        {
            // D has one layer: layer 0 lands, layer 1 fails (§9.15).
            var small = await make(decoder, 1, Sample with { NumTensors = 2 });
            var ranges = new KvCacheExtParam { SrcLayerRange = new(0, 1), DstLayerRange = new(0, 1) };
            Assert.Equal(LlmStatus.ParamInvalid, await prompt.PushKvCacheAsync(src, new CacheIndex(DecoderId, small.CacheId, 0), 0, -1, ranges));
            Assert.Equal(LlmStatus.ParamInvalid, await prompt.PushKvCacheAsync(src, new CacheIndex(DecoderId, small.CacheId, 0), 0, -1, ranges with { SrcLayerRange = new(1, 1), DstLayerRange = new(1, 1) }));
        });
        Assert.Single(events, e => e.Name == "PartialEffect");
    }

    [Fact]
    public void CE_copy_substitutes_and_partial_block_copies_are_flagged()
    {
        var events = Run(EngineProfile.CE, async (prompt, decoder, src, dst, _) =>
        {
            var fewer = (await decoder.AllocateCacheAsync(Sample with { NumTensors = 2 })).Cache;
            Assert.Equal(LlmStatus.ParamInvalid, await decoder.CopyKvCacheAsync(dst, fewer, 0, 0, 0, -1));           // UB→sim: D has fewer tensors
            Assert.Equal(LlmStatus.ParamInvalid, await decoder.CopyKvBlocksAsync(dst, dst, [0], [[9]]));              // checked before any copy
            Assert.Equal(LlmStatus.ParamInvalid, await decoder.CopyKvBlocksAsync(dst, dst, [0], [[1], [9]]));         // after list 0 landed
        });
        Assert.Single(events, e => e.Name == "UbSubstitute");
        Assert.Single(events, e => e.Name == "PartialEffect");
    }

    [Fact]
    public void HX_a_cache_unregistered_after_the_snapshot_is_a_substitute_and_one_registered_after_it_is_the_engines_rule()
    {
        var events = Run(EngineProfile.HX, async (prompt, decoder, src, dst, make) =>
        {
            Assert.Equal(LlmStatus.Success, await decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, 0, -1, new KvCacheExtParam()));
            var late = await make(prompt, 0, Sample);
            Assert.Equal(LlmStatus.KvCacheNotExist, await decoder.PullKvCacheAsync(new CacheIndex(PromptId, late.CacheId, 0), dst, 0, -1, new KvCacheExtParam()));
            Assert.Equal(LlmStatus.Success, await prompt.UnregisterKvCacheAsync(src.CacheId));
            Assert.Equal(LlmStatus.KvCacheNotExist, await decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, 0, -1, new KvCacheExtParam()));
        });
        var flag = Assert.Single(events, e => e.Name == "UbSubstitute"); // the unregistered cache 1, not the late cache 2
        Assert.Contains("remote cache 1 ", flag.Args.Single(a => a.Key == "reason").Value, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(EngineProfile.CE)]
    [InlineData(EngineProfile.HX)]
    public void A_push_of_a_wider_source_row_is_a_substitute_and_a_missing_destination_layer_is_the_engines_rule(EngineProfile profile)
    {
        var events = Run(profile, async (prompt, decoder, src, dst, make) =>
        {
            var narrow = await make(decoder, 1, Sample with { Shape = [16, 8] }); // rows of 32 bytes, 64 on the source
            var layer = new KvCacheExtParam { SrcLayerRange = new(0, 0), DstLayerRange = new(2, 2) };
            Assert.Equal(LlmStatus.ParamInvalid, await prompt.PushKvCacheAsync(src, new CacheIndex(DecoderId, dst.CacheId, 0), 0, -1, layer));
            Assert.Equal(LlmStatus.ParamInvalid, await prompt.PushKvCacheAsync(src, new CacheIndex(DecoderId, narrow.CacheId, 0), 0, -1, new KvCacheExtParam { SrcLayerRange = new(0, 0), DstLayerRange = new(0, 0) }));
        });
        Assert.Single(events, e => e.Name == "UbSubstitute");
    }

    private static List<TraceEvent> Run(EngineProfile profile, Func<ILlmDataDistBackend, ILlmDataDistBackend, Cache, Cache, Func<ILlmDataDistBackend, int, CacheDesc, Task<Cache>>, Task> body)
    {
        using var world = new SimulatedWorld(1, OnePromptOneDecoder());
        var fabric = new SimulatedFabric(world, profile);
        var prompt = fabric.Factory(0).Create(PromptId, LlmRole.Prompt);
        var decoder = fabric.Factory(1).Create(DecoderId, LlmRole.Decoder);
        world.Run(async () =>
        {
            Assert.Equal(LlmStatus.Success, await prompt.InitializeAsync(new Dictionary<string, string> { [LlmOptionKeys.DeviceId] = "0", [LlmOptionKeys.ListenIpInfo] = $"{PromptIp}:{PromptPort}" }));
            Assert.Equal(LlmStatus.Success, await decoder.InitializeAsync(new Dictionary<string, string> { [LlmOptionKeys.DeviceId] = "0" }));
            var src = await MakeAsync(prompt, 0, Sample);
            var dst = await MakeAsync(decoder, 1, Sample);
            Assert.Equal(LlmStatus.Success, (await decoder.LinkLlmClustersAsync([DecoderToPrompt], 1000)).Status);
            await body(prompt, decoder, src, dst, MakeAsync);
        });
        return [.. world.Trace.Events.Where(e => e.Category == "semantics")];

        // A cache the instance knows: allocated (CE) or device memory registered (HX).
        Task<Cache> MakeAsync(ILlmDataDistBackend backend, int server, CacheDesc desc) => ProfileCaches.CreateAsync(world, profile, backend, server, desc, "flags");
    }
}
