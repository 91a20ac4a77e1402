using LlmDataDist.Conformance;
using LlmDataDist.Simulator.Backend;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Tests.Backend;

/// <summary>The simulator as a conformance backend: a fresh two-server A2 world per scenario.</summary>
internal sealed class SimulatedHarness : IConformanceHarness
{
    private readonly SimulatedWorld _world;
    private readonly SimulatedFabric _fabric;

    public SimulatedHarness(ConformanceProfile profile, ulong seed = 1, FaultPlan? faults = null, Topology? topology = null)
    {
        Profile = profile;
        _world = new SimulatedWorld(seed, topology ?? Topology.A2(servers: 2), faults);
        _fabric = new SimulatedFabric(_world, profile == ConformanceProfile.CE ? EngineProfile.CE : EngineProfile.HX);
    }

    public ConformanceProfile Profile { get; }

    public SimulatedWorld World => _world;

    public SimulatedFabric Fabric => _fabric;

    public TimeProvider TimeProvider => _world.TimeProvider;

    public ILlmDataDistBackend Create(ulong clusterId, LlmRole role, int server = 0) => _fabric.Factory(server).Create(clusterId, role);

    public void Run(Func<Task> scenario) => _world.Run(scenario);

    public ulong AllocateDeviceMemory(int server, int deviceId, long bytes)
    {
        var npu = _world.Topology.NpusOf(server).Single(n => n.DeviceId == deviceId);
        var result = _world.Memory.Device(npu.Id).Allocate(bytes, "test");
        Assert.Equal(AllocationStatus.Success, result.Status);
        return result.Buffer!.Address;
    }

    public ulong AllocateHostMemory(int server, long bytes)
    {
        var result = _world.Memory.Host(server).Allocate(bytes, "test");
        Assert.Equal(AllocationStatus.Success, result.Status);
        return result.Buffer!.Address;
    }

    public void Write(ulong address, ReadOnlySpan<byte> bytes)
    {
        Assert.True(_world.Memory.TryResolve(address, bytes.Length, out var range), $"no memory at 0x{address:x}");
        range.Write(bytes);
    }

    public byte[] Read(ulong address, long length)
    {
        Assert.True(_world.Memory.TryResolve(address, length, out var range), $"no memory at 0x{address:x}");
        var bytes = new byte[length];
        range.Read(bytes);
        return bytes;
    }

    public void Dispose() => _world.Dispose();
}

/// <summary>The conformance suite against the simulator, both engine profiles.</summary>
public sealed class SimulatedConformance : ConformanceSuite
{
    protected override IConformanceHarness CreateHarness(ConformanceProfile profile) => new SimulatedHarness(profile);
}
