using BenchmarkDotNet.Attributes;
using LlmDataDist.Simulator;
using LlmDataDist.Simulator.Backend;

namespace LlmDataDist.Benchmarks;

/// <summary>
/// Simulator copy bandwidth: a PullKvBlocks of 64 MiB (in blocks of 64 KiB, 1 MiB or 16 MiB) between two A2 servers,
/// end to end through the simulated backend — validation, the link model on the event loop, and the bytes — against a
/// plain <see cref="Span{T}.CopyTo"/> of the same blocks between the same two buffers (the baseline), so both measure
/// the same memory and only the simulator's work differs. Bandwidth ratio = baseline time / simulator time.
/// </summary>
[MemoryDiagnoser]
public class SimulatorCopyBenchmarks
{
    private const long TotalBytes = 64L << 20;

    private SimulatedWorld _world = null!;
    private ILlmDataDistBackend _decoder = null!;
    private Cache _src = null!;
    private Cache _dst = null!;
    private ulong[] _blocks = [];
    private SimBuffer _sourceBuffer = null!;
    private SimBuffer _destinationBuffer = null!;

    [Params(64 << 10, 1 << 20, 16 << 20)]
    public int BlockBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var blocks = (int)(TotalBytes / BlockBytes);
        _blocks = Enumerable.Range(0, blocks).Select(b => (ulong)b).ToArray();
        _world = new SimulatedWorld(1, Topology.A2(servers: 2));
        var fabric = new SimulatedFabric(_world, devicePoolBytesDefault: 1L << 34);
        var prompt = fabric.Factory(0).Create(1, LlmRole.Prompt);
        _decoder = fabric.Factory(1).Create(2, LlmRole.Decoder);
        var desc = new CacheDesc { NumTensors = 1, DataType = DataType.Int8, Shape = [blocks, BlockBytes] };
        _world.Run(async () =>
        {
            await prompt.InitializeAsync(new Dictionary<string, string> { ["llm.DeviceId"] = "0", ["llm.ListenIpInfo"] = "10.0.0.1:26000" });
            await _decoder.InitializeAsync(new Dictionary<string, string> { ["llm.DeviceId"] = "0" });
            _src = (await prompt.AllocateCacheAsync(desc)).Cache;
            _dst = (await _decoder.AllocateCacheAsync(desc)).Cache;
            var link = await _decoder.LinkLlmClustersAsync([new ClusterInfo { RemoteClusterId = 1, LocalIpInfos = [new IpInfo { Ip = "10.0.1.1" }], RemoteIpInfos = [new IpInfo { Ip = "10.0.0.1", Port = 26000 }] }], 1000);
            if (link.Status != LlmStatus.Success)
            {
                throw new InvalidOperationException($"link: {link.Status}");
            }
        });
        _world.Memory.TryResolve(_src.TensorAddrs[0], TotalBytes, out var source);
        _world.Memory.TryResolve(_dst.TensorAddrs[0], TotalBytes, out var destination);
        (_sourceBuffer, _destinationBuffer) = (source.Buffer, destination.Buffer);
        Random.Shared.NextBytes(source.Span);
    }

    [GlobalCleanup]
    public void Cleanup() => _world.Dispose();

    [Benchmark(Baseline = true)]
    public void SpanCopyTo()
    {
        for (var b = 0; b < _blocks.Length; b++)
        {
            _sourceBuffer.Span.Slice(b * BlockBytes, BlockBytes).CopyTo(_destinationBuffer.Span.Slice(b * BlockBytes, BlockBytes));
        }
    }

    [Benchmark]
    public LlmStatus SimulatedPullKvBlocks() =>
        _world.Run(async () => await _decoder.PullKvBlocksAsync(new CacheIndex(1, _src.CacheId, 0), _dst, _blocks, _blocks, new KvCacheExtParam()));
}
