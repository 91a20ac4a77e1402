using System.Runtime.InteropServices;

namespace LlmDataDist.Ascend.Tests;

/// <summary>
/// Building blocks of the native tests: instances that are disposed with the test, a listening prompt and a linked
/// decoder on addresses no other test uses, caches filled with known bytes, read back through their (host) addresses.
/// </summary>
internal sealed class NativeScenario : IDisposable
{
    private readonly List<ILlmDataDistBackend> _backends = [];

    public static CacheDesc Desc(uint tensors = 4, long rows = 8, long rowElements = 16) =>
        new() { NumTensors = tensors, DataType = DataType.Int32, Shape = [rows, rowElements] };

    public AscendBackend Create(ulong clusterId, LlmRole role)
    {
        var backend = NativeTestEnvironment.Factory.CreateBackend(clusterId, role);
        _backends.Add(backend);
        return backend;
    }

    /// <summary>A prompt listening on <paramref name="ip"/>:<paramref name="port"/> and a decoder linked to it.</summary>
    public async Task<(AscendBackend Prompt, AscendBackend Decoder, ClusterInfo ToPrompt)> LinkedPairAsync(ulong promptId, ulong decoderId, string ip, ushort port)
    {
        var prompt = Create(promptId, LlmRole.Prompt);
        var decoder = Create(decoderId, LlmRole.Decoder);
        Assert.Equal(LlmStatus.Success, await prompt.InitializeAsync(Options(listen: $"{ip}:{port}")));
        Assert.Equal(LlmStatus.Success, await decoder.InitializeAsync(Options()));
        var toPrompt = new ClusterInfo { RemoteClusterId = promptId, LocalIpInfos = [new IpInfo { Ip = "10.1.0.1" }], RemoteIpInfos = [new IpInfo { Ip = ip, Port = port }] };
        var link = await decoder.LinkLlmClustersAsync([toPrompt], 5000);
        Assert.Equal((LlmStatus.Success, LlmStatus.Success), (link.Status, link.Rets.Single()));
        return (prompt, decoder, toPrompt);
    }

    public static Dictionary<string, string> Options(string? listen = null, int deviceId = 0)
    {
        var options = new Dictionary<string, string> { [LlmOptionKeys.DeviceId] = deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (listen is not null)
        {
            options[LlmOptionKeys.ListenIpInfo] = listen;
        }

        return options;
    }

    public static async Task<Cache> AllocateAsync(ILlmDataDistBackend backend, CacheDesc desc)
    {
        var allocated = await backend.AllocateCacheAsync(desc);
        Assert.Equal(LlmStatus.Success, allocated.Status);
        return allocated.Cache;
    }

    public static long TensorBytes(CacheDesc desc) => desc.Shape.Aggregate(1L, (a, b) => a * b) * desc.DataType.GetElementBits() / 8;

    public static void Fill(Cache cache, int seed)
    {
        var bytes = TensorBytes(cache.CacheDesc);
        for (var t = 0; t < cache.TensorAddrs.Count; t++)
        {
            var span = Tensor(cache, t);
            for (var i = 0; i < bytes; i++)
            {
                span[i] = unchecked((byte)((i * 31) + (t * 7) + (seed * 101) + 1));
            }
        }
    }

    public static unsafe Span<byte> Tensor(Cache cache, int tensor) => new((void*)cache.TensorAddrs[tensor], checked((int)TensorBytes(cache.CacheDesc)));

    public static byte[] Row(Cache cache, int tensor, long row)
    {
        var stride = TensorBytes(cache.CacheDesc) / cache.CacheDesc.Shape[0];
        return Tensor(cache, tensor).Slice(checked((int)(row * stride)), (int)stride).ToArray();
    }

    public void Dispose()
    {
        foreach (var backend in _backends)
        {
            backend.Dispose();
        }
    }
}
