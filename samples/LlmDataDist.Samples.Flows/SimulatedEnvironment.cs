using LlmDataDist.Simulator;
using LlmDataDist.Simulator.Backend;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Samples.Flows;

/// <summary>The simulator: two Atlas A2 servers, the CE engine, virtual time, memory every test can read.</summary>
public sealed class SimulatedEnvironment(ulong seed = 1) : FlowEnvironment
{
    private readonly SimulatedWorld _world = new(seed, Topology.A2(servers: 2));
    private SimulatedFabric? _fabric;

    public override string Name => "sim";

    public override TimeProvider TimeProvider => _world.TimeProvider;

    public override ILlmDataDistBackendFactory Factory(int server) => (_fabric ??= new SimulatedFabric(_world, EngineProfile.CE)).Factory(server);

    public override T Run<T>(Func<Task<T>> scenario) => _world.Run(scenario);

    public override bool TryWrite(ulong address, ReadOnlySpan<byte> bytes)
    {
        if (!_world.Memory.TryResolve(address, bytes.Length, out var range))
        {
            return false;
        }

        range.Write(bytes);
        return true;
    }

    public override byte[]? TryRead(ulong address, long length)
    {
        if (!_world.Memory.TryResolve(address, length, out var range))
        {
            return null;
        }

        var bytes = new byte[length];
        range.Read(bytes);
        return bytes;
    }

    protected override void Dispose(bool disposing)
    {
        _world.Dispose();
        base.Dispose(disposing);
    }
}
