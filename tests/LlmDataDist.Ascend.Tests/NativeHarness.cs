using LlmDataDist.Ascend;
using LlmDataDist.Conformance;

namespace LlmDataDist.Ascend.Tests;

/// <summary>
/// The native backend as a conformance backend: <see cref="AscendBackend"/> → shim → fake engine, all in this
/// process. The fake engine's "device memory" is host memory, so its tensor addresses are real pointers that the
/// harness reads and writes directly; memory a test asks for comes from the engine's own allocator
/// (<see cref="FakeEngineMemory"/>), since the engine refuses addresses it does not know.
/// </summary>
internal sealed unsafe class NativeHarness : IConformanceHarness
{
    private readonly List<ILlmDataDistBackend> _backends = [];
    private readonly List<ulong> _memory = [];

    public NativeHarness(ConformanceProfile profile)
    {
        // The fake engine models the CE profile only; the suite skips HX cases before it gets here.
        Assert.Equal(ConformanceProfile.CE, profile);
        Profile = profile;
    }

    public ConformanceProfile Profile { get; }

    public TimeProvider TimeProvider => TimeProvider.System;

    /// <summary>Server indices mean nothing to an in-process engine: every instance shares this process.</summary>
    public ILlmDataDistBackend Create(ulong clusterId, LlmRole role, int server = 0)
    {
        var backend = NativeTestEnvironment.Factory.Create(clusterId, role);
        lock (_backends)
        {
            _backends.Add(backend);
        }

        return backend;
    }

    /// <summary>Runs on the thread pool and waits: the backend completes its tasks there, never on a test's context.</summary>
    public void Run(Func<Task> scenario) => Task.Run(scenario).GetAwaiter().GetResult();

    public ulong AllocateDeviceMemory(int server, int deviceId, long bytes) => Allocate(bytes);

    public ulong AllocateHostMemory(int server, long bytes) => Allocate(bytes);

    public void Write(ulong address, ReadOnlySpan<byte> bytes) => bytes.CopyTo(new Span<byte>((void*)address, bytes.Length));

    public byte[] Read(ulong address, long length) => new ReadOnlySpan<byte>((void*)address, checked((int)length)).ToArray();

    /// <summary>Destroys every instance (so the next scenario finds no listener or cluster id left over), then frees
    /// the test's memory, which no instance can still reach.</summary>
    public void Dispose()
    {
        foreach (var backend in _backends)
        {
            backend.Dispose();
        }

        foreach (var block in _memory)
        {
            FakeEngineMemory.Free(block);
        }
    }

    private ulong Allocate(long bytes)
    {
        var memory = FakeEngineMemory.Allocate(bytes);
        _memory.Add(memory);
        return memory;
    }
}
