using LlmDataDist.Tests.Support;
using static LlmDataDist.Tests.Support.Samples;

namespace LlmDataDist.Tests;

/// <summary>Out-parameters of the header come back as return values.</summary>
public class OutValueTests
{
    [Fact]
    public async Task AllocateCache_returns_the_backends_cache()
    {
        var (client, backend) = NewClient();
        backend.NextCacheId = 7;
        var desc = Desc(3);

        var cache = await client.AllocateCacheAsync(desc);

        Assert.Equal(7, cache.CacheId);
        Assert.Equal(desc, cache.CacheDesc);
        Assert.Equal(
            [RecordingBackend.AddressBase + (7UL << 32), RecordingBackend.AddressBase + (7UL << 32) + RecordingBackend.TensorStride, RecordingBackend.AddressBase + (7UL << 32) + (2 * RecordingBackend.TensorStride)],
            cache.TensorAddrs);
    }

    [Fact]
    public async Task Successive_allocations_return_distinct_caches()
    {
        var (client, _) = NewClient();

        var first = await client.AllocateCacheAsync(Desc(2));
        var second = await client.AllocateCacheAsync(Desc(2));

        Assert.NotEqual(first.CacheId, second.CacheId);
        Assert.Empty(first.TensorAddrs.Intersect(second.TensorAddrs));
    }

    [Fact]
    public async Task AllocateCache_failure_throws_instead_of_returning_an_empty_cache()
    {
        var (client, backend) = NewClient();
        backend.Script("AllocateCache", LlmStatus.DeviceOutOfMemory);

        var ex = await Assert.ThrowsAsync<LlmDeviceOutOfMemoryException>(async () => await client.AllocateCacheAsync(Desc()));

        Assert.Equal("AllocateCache", ex.Operation);
    }

    [Fact]
    public async Task RegisterKvCache_returns_the_cache_id()
    {
        var (client, backend) = NewClient();
        backend.NextCacheId = 42;

        var id = await client.RegisterKvCacheAsync(Desc(2), [0x1000, 0x2000], new RegisterCfg());

        Assert.Equal(42, id);
    }

    [Fact]
    public async Task RegisterKvCache_failure_throws_instead_of_returning_minus_one()
    {
        var (client, backend) = NewClient();
        backend.Script("RegisterKvCache", LlmStatus.FeatureNotEnabled);

        await Assert.ThrowsAsync<LlmFeatureNotEnabledException>(async () => await client.RegisterKvCacheAsync(Desc(1), [0x1000], new RegisterCfg()));
    }
}
