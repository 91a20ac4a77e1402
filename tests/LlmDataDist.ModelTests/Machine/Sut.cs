using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using LlmDataDist.ModelTests.Model;
using LlmDataDist.Simulator;
using LlmDataDist.Simulator.Backend;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.ModelTests.Machine;

/// <summary>
/// The system under test: a fresh 2-server A2 simulated world, one typed client per slot (on the world's
/// TimeProvider), and the caches the clients got back, keyed by (slot, cache id).
/// </summary>
public sealed class Sut : IDisposable
{
    private readonly LlmDataDistClient[] _clients;

    public Sut(ulong worldSeed, ImmutableArray<Slot> slots)
    {
        Slots = slots;
        World = new SimulatedWorld(worldSeed, Topology.A2(servers: 2));
        var fabric = new SimulatedFabric(World, EngineProfile.CE);
        var options = new LlmDataDistClientOptions { TimeProvider = World.TimeProvider };
        _clients = World.Run(() => Task.FromResult(slots.Select(s => new LlmDataDistClient(fabric.Factory(s.Server).Create(s.Id, s.InitialRole), options)).ToArray()));
    }

    public ImmutableArray<Slot> Slots { get; }

    public SimulatedWorld World { get; }

    public SortedDictionary<(int Slot, long Id), Cache> Caches { get; } = [];

    public LlmDataDistClient Client(int slot) => _clients[slot];

    public byte[] Read(ulong address, long length)
    {
        if (!World.Memory.TryResolve(address, length, out var range))
        {
            throw new InvalidOperationException($"no simulated memory at 0x{address.ToString("x", CultureInfo.InvariantCulture)}+{length}");
        }

        var bytes = new byte[length];
        range.Read(bytes);
        return bytes;
    }

    public void Write(ulong address, ReadOnlySpan<byte> bytes)
    {
        if (!World.Memory.TryResolve(address, bytes.Length, out var range))
        {
            throw new InvalidOperationException($"no simulated memory at 0x{address.ToString("x", CultureInfo.InvariantCulture)}+{bytes.Length}");
        }

        range.Write(bytes);
    }

    public void Dispose() => World.Dispose();

    public override string ToString() => $"world seed {World.Seed}";

    internal static IPEndPoint ToIp(Model.Endpoint e) => new(IPAddress.Parse(e.Ip), e.Port);
}
