using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Testing.Tests.Support;

/// <summary>A linked 1P1D pair in a simulated world (prompt 1 on server 0 listening, decoder 2 on server 1 linked to
/// it), each with a cache of the same descriptor: CE allocates, HX registers device memory.</summary>
internal sealed record LinkedPair(LlmDataDistClient Prompt, LlmDataDistClient Decoder, Cache PromptCache, Cache DecoderCache)
{
    public const ulong PromptId = 1;
    public const ulong DecoderId = 2;

    public static async Task<LinkedPair> CreateAsync(SimulationContext sim, CacheDesc desc, bool link = true)
    {
        var prompt = sim.CreateClient(PromptId, LlmRole.Prompt, server: 0);
        var decoder = sim.CreateClient(DecoderId, LlmRole.Decoder, server: 1);
        var wait = TimeSpan.FromMilliseconds(50);
        await prompt.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, ListenIpInfo = SimulationContext.ListenEndpoint(PromptId), SyncKvCacheWaitTime = wait });
        await decoder.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, SyncKvCacheWaitTime = wait });
        var promptCache = await CacheAsync(sim, prompt, 0, desc);
        var decoderCache = await CacheAsync(sim, decoder, 1, desc);
        if (link)
        {
            await decoder.LinkLlmClustersAsync([SimulationContext.LinkTarget(DecoderId, PromptId)]);
        }

        return new LinkedPair(prompt, decoder, promptCache, decoderCache);
    }

    private static async Task<Cache> CacheAsync(SimulationContext sim, LlmDataDistClient client, int server, CacheDesc desc)
    {
        if (sim.Profile == EngineProfile.CE)
        {
            return await client.AllocateCacheAsync(desc);
        }

        var addresses = sim.AllocateTensors(server, 0, desc) ?? throw new InvalidOperationException("device memory allocation failed");
        return new Cache(await client.RegisterKvCacheAsync(desc, addresses, new RegisterCfg()), addresses, desc);
    }
}
