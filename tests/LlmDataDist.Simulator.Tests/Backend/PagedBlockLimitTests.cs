using LlmDataDist.Simulator.Backend;
using LlmDataDist.Simulator.Semantics;
using static LlmDataDist.Samples.Simulated.SimulatedKit;

namespace LlmDataDist.Simulator.Tests.Backend;

/// <summary>
/// Reference §8: a CE paged pull sends each block's length as a 32-bit value, so one block may not exceed INT32_MAX
/// bytes (PARAM_INVALID); whole-row pulls and HX have no such limit. Blocks that large need metadata-only memory,
/// which the conformance harness (real bytes) cannot give, hence a simulator test.
/// </summary>
public sealed class PagedBlockLimitTests
{
    [Theory]
    [InlineData(EngineProfile.CE, int.MaxValue + 1L, LlmStatus.ParamInvalid)]
    [InlineData(EngineProfile.CE, int.MaxValue, LlmStatus.Success)]
    [InlineData(EngineProfile.HX, int.MaxValue + 1L, LlmStatus.Success)]
    public void A_paged_pull_block_above_INT32_MAX_bytes_is_invalid_on_CE_only(EngineProfile profile, long blockBytes, LlmStatus expected)
    {
        using var world = new SimulatedWorld(1, OnePromptOneDecoder(), options: new SimulationOptions(MetadataOnly: true, KeepTraceEvents: false, Jitter: false));
        var fabric = new SimulatedFabric(world, profile);
        var prompt = fabric.Factory(0).Create(PromptId, LlmRole.Prompt);
        var decoder = fabric.Factory(1).Create(DecoderId, LlmRole.Decoder);
        var desc = new CacheDesc(CachePlacement.Device, 1, DataType.Int8, [2, blockBytes]);
        world.Run(async () =>
        {
            var extra = (LlmOptionKeys.BufPoolCfg, "{\"buf_pool_size\": 17179869184}"); // 16 GiB: two 4 GiB caches fit
            Assert.Equal(LlmStatus.Success, await prompt.InitializeAsync(Options(PromptIp + ":" + PromptPort, extra)));
            Assert.Equal(LlmStatus.Success, await decoder.InitializeAsync(Options(null, extra)));
            var src = await ProfileCaches.CreateAsync(world, profile, prompt, 0, desc, "paged");
            var dst = await ProfileCaches.CreateAsync(world, profile, decoder, 1, desc, "paged");
            Assert.Equal(LlmStatus.Success, (await decoder.LinkLlmClustersAsync([DecoderToPrompt], 1000)).Status);
            var index = new CacheIndex(PromptId, src.CacheId, 0);
            Assert.Equal(expected, await decoder.PullKvBlocksAsync(index, dst, [1], [0], new KvCacheExtParam()));
            Assert.Equal(LlmStatus.Success, await decoder.PullKvCacheAsync(index with { BatchIndex = 1 }, dst, 0, -1, new KvCacheExtParam())); // rows have no such limit
        });
    }

    private static Dictionary<string, string> Options(string? listen, (string Key, string Value) extra)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal) { [LlmOptionKeys.DeviceId] = "0", [extra.Key] = extra.Value };
        if (listen is not null)
        {
            options[LlmOptionKeys.ListenIpInfo] = listen;
        }

        return options;
    }
}
