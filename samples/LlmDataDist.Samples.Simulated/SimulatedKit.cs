using System.Net;
using LlmDataDist.Simulator;

namespace LlmDataDist.Samples.Simulated;

/// <summary>
/// What the simulated flows share: cluster ids and endpoints, a client bound to the world's virtual clock, and the
/// test-side view of cache memory (fill a cache with a pattern, read it back, compare exactly).
/// </summary>
public static class SimulatedKit
{
    public const ulong PromptId = 1;
    public const ulong DecoderId = 2;
    public const string PromptIp = "10.0.0.1";
    public const string DecoderIp = "10.0.0.2";
    public const ushort PromptPort = 26000;
    public const ushort DecoderPort = 26001;

    /// <summary>llm.SyncKvCacheWaitTime of the samples: the budget of every pull and push.</summary>
    public static readonly TimeSpan TransferWait = TimeSpan.FromMilliseconds(100);

    public static IPEndPoint PromptEndpoint { get; } = new(IPAddress.Parse(PromptIp), PromptPort);

    public static IPEndPoint DecoderEndpoint { get; } = new(IPAddress.Parse(DecoderIp), DecoderPort);

    /// <summary>The decoder's view of the prompt (the decoder links as client).</summary>
    public static ClusterInfo DecoderToPrompt { get; } = new(PromptId, LlmRole.Prompt, [new IpInfo(DecoderIp, 0)], [new IpInfo(PromptIp, PromptPort)]);

    /// <summary>The prompt's view of the decoder: the prompt links as client (HX), or tears down its server side (CE).</summary>
    public static ClusterInfo PromptToDecoder { get; } = new(DecoderId, LlmRole.Decoder, [new IpInfo(PromptIp, 0)], [new IpInfo(DecoderIp, DecoderPort)]);

    /// <summary>The client options every sample uses: telemetry timed by the world's virtual clock.</summary>
    public static LlmDataDistClientOptions ClientOptions(SimulatedWorld world) => new() { TimeProvider = world.TimeProvider };

    /// <summary>Two servers with one A2 NPU each (npu0 on server 0, npu1 on server 1): the smallest 1P1D deployment,
    /// so that every fault a chaos plan draws for NPUs 0..1 hits the pair.</summary>
    public static Topology OnePromptOneDecoder()
    {
        var builder = new TopologyBuilder("1P1D-A2");
        for (var s = 0; s < 2; s++)
        {
            var server = builder.AddServer("Atlas 800I A2", HardwareDefaults.HostMemoryBytes);
            builder.AddNpu(server, HardwareDefaults.HbmBytes, HardwareDefaults.A2Hccs, HardwareDefaults.A2Roce, HardwareDefaults.Pcie4);
        }

        return builder.Build();
    }

    /// <summary>The global NPU id of a device of a server.</summary>
    public static int NpuOf(SimulatedWorld world, int server, int deviceId = 0) =>
        world.Topology.NpusOf(server).Single(n => n.DeviceId == deviceId).Id;

    public static long TensorBytes(CacheDesc desc) => ((desc.Shape.Aggregate(1L, (a, b) => a * b) * desc.DataType.GetElementBits()) + 7) / 8;

    /// <summary>Bytes of one row (a batch of a contiguous cache, a block of a paged one).</summary>
    public static long RowBytes(CacheDesc desc) => TensorBytes(desc) / desc.Shape[0];

    /// <summary>HX caches are caller memory: allocates device memory for every tensor of a cache, to register.</summary>
    /// <returns>One address per tensor, or null when an allocation failed (a fault); nothing is left allocated then.</returns>
    public static ulong[]? AllocateTensors(SimulatedWorld world, int server, CacheDesc desc, string tag)
    {
        var space = world.Memory.Device(NpuOf(world, server));
        var buffers = new List<SimBuffer>();
        for (var t = 0; t < desc.NumTensors; t++)
        {
            var result = space.Allocate(TensorBytes(desc), $"{tag}/t{t}");
            if (result.Status != AllocationStatus.Success)
            {
                buffers.ForEach(b => space.Free(b));
                return null;
            }

            buffers.Add(result.Buffer!);
        }

        return [.. buffers.Select(b => b.Address)];
    }

    /// <summary>Writes a pattern that differs per seed, tensor and byte into every tensor of a cache.</summary>
    public static void Fill(SimulatedWorld world, Cache cache, byte seed)
    {
        var bytes = TensorBytes(cache.CacheDesc);
        for (var t = 0; t < cache.TensorAddrs.Count; t++)
        {
            var data = new byte[bytes];
            for (var i = 0; i < data.Length; i++)
            {
                data[i] = unchecked((byte)((i * 31) + (t * 7) + (seed * 101) + 1));
            }

            Resolve(world, cache.TensorAddrs[t], bytes).Write(data);
        }
    }

    /// <summary>Every tensor's bytes, or null when the memory is gone (its owner crashed or finalized).</summary>
    public static byte[][]? TryRead(SimulatedWorld world, Cache cache)
    {
        var bytes = TensorBytes(cache.CacheDesc);
        var tensors = new byte[cache.TensorAddrs.Count][];
        for (var t = 0; t < tensors.Length; t++)
        {
            if (!world.Memory.TryResolve(cache.TensorAddrs[t], bytes, out var range))
            {
                return null;
            }

            tensors[t] = new byte[bytes];
            range.Read(tensors[t]);
        }

        return tensors;
    }

    /// <summary>What the destination must hold after rows of the source were copied onto it: its own bytes
    /// (<paramref name="before"/>) with exactly the mapped rows replaced, in every tensor.</summary>
    public static byte[][] Expected(byte[][] source, byte[][] before, long rowBytes, IReadOnlyList<(long From, long To)> rows)
    {
        var expected = before.Select(b => (byte[])b.Clone()).ToArray();
        for (var t = 0; t < expected.Length; t++)
        {
            foreach (var (from, to) in rows)
            {
                Array.Copy(source[t], from * rowBytes, expected[t], to * rowBytes, rowBytes);
            }
        }

        return expected;
    }

    /// <summary>The first differing (tensor, byte), or null when equal.</summary>
    public static (int Tensor, long Byte)? FirstDifference(byte[][] expected, byte[][] actual)
    {
        for (var t = 0; t < expected.Length; t++)
        {
            var i = expected[t].AsSpan().CommonPrefixLength(actual[t]);
            if (i < expected[t].Length || expected[t].Length != actual[t].Length)
            {
                return (t, i);
            }
        }

        return null;
    }

    private static ResolvedRange Resolve(SimulatedWorld world, ulong address, long length) =>
        world.Memory.TryResolve(address, length, out var range) ? range : throw new InvalidOperationException($"no memory at 0x{address:x}");
}
