namespace LlmDataDist.Tests.Support;

/// <summary>Well-formed arguments; each validation case breaks exactly one rule of one of them.</summary>
public static class Samples
{
    public static ClusterInfo Cluster(ulong id = 2, string remoteIp = "10.0.0.2", string localIp = "10.0.0.1") =>
        new(id, 0, [new IpInfo(localIp, 0)], [new IpInfo(remoteIp, 26000)]);

    public static CacheDesc Desc(uint numTensors = 4, CachePlacement placement = CachePlacement.Device, params long[] shape) =>
        new(placement, numTensors, DataType.Float16, shape.Length == 0 ? [8, 16] : shape);

    public static Cache DeviceCache(long id = 1, uint numTensors = 4) =>
        new(id, [.. Enumerable.Range(0, (int)numTensors).Select(i => 0x1000UL + ((ulong)i * 0x100))], Desc(numTensors));

    public static Cache HostCache(long id = 1) => DeviceCache(id) with { CacheDesc = Desc(placement: CachePlacement.Host) };

    public static CacheIndex Remote(long cacheId = 1, uint batchIndex = 0) => new(2, cacheId, batchIndex);

    public static KvCacheExtParam Ext(LayerRange src, LayerRange dst, byte tensorNumPerLayer = 2) => new(src, dst, tensorNumPerLayer);

    public static LlmDataDistOptions Options(int deviceId = 0) => new() { DeviceId = deviceId };

    public static (LlmDataDistClient Client, RecordingBackend Backend) NewClient(LlmDataDistClientOptions? options = null)
    {
        var backend = new RecordingBackend();
        return (new LlmDataDistClient(backend, options), backend);
    }
}
