using LlmDataDist.Simulator.Backend;
using LlmDataDist.Simulator.Semantics;
using static LlmDataDist.Samples.Simulated.SimulatedKit;

namespace LlmDataDist.Simulator.Tests.Backend;

/// <summary>A cache an instance knows, the way its engine makes one: allocated (CE) or device memory registered (HX).</summary>
internal static class ProfileCaches
{
    public static async Task<Cache> CreateAsync(SimulatedWorld world, EngineProfile profile, ILlmDataDistBackend backend, int server, CacheDesc desc, string tag)
    {
        if (profile == EngineProfile.CE)
        {
            var allocated = await backend.AllocateCacheAsync(desc);
            Assert.Equal(LlmStatus.Success, allocated.Status);
            return allocated.Cache;
        }

        var addresses = AllocateTensors(world, server, desc, tag)!;
        var registered = await backend.RegisterKvCacheAsync(desc, addresses, new RegisterCfg());
        Assert.Equal(LlmStatus.Success, registered.Status);
        return new Cache(registered.CacheId, addresses, desc);
    }
}
