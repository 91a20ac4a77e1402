using System.Reflection;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using LlmDataDist.Ascend;
using LlmDataDist.Ascend.Interop;

namespace LlmDataDist.Benchmarks;

/// <summary>
/// What the native backend adds to a call: <c>CopyKvCache</c> of one 64-byte row between two caches of the fake
/// engine (two Cache structs, their address lists and shapes cross the ABI), and <c>DeallocateCache</c> of an unknown
/// id (the smallest call: one integer in, a status out).
/// <para>Baseline: the shim's export called through a C# function pointer with arguments marshalled once in setup —
/// exactly the C++ call a native program makes (shim → fake engine) plus one unmanaged transition of a few
/// nanoseconds; no bench-only native library, so the baseline runs the very code the backend calls.</para>
/// Then: the same call through the generated LibraryImport with per-call marshalling into the arena (what a worker
/// runs); the backend's full async path (marshal on the caller, channel, worker thread, task completion, continuation
/// on the thread pool); and the typed client on top (validation, telemetry, status check).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class NativeCallBenchmarks
{
    private AscendBackendFactory _factory = null!;
    private AscendBackend _backend = null!;
    private NativeInstanceHandle _handle = null!;
    private LlmDataDistClient _client = null!;
    private Cache _src = null!;
    private Cache _dst = null!;
    private Cache _clientSrc = null!;
    private Cache _clientDst = null!;
    private NativeArena _arena = null!;
    private unsafe NativeCache* _nativeSrc;
    private unsafe NativeCache* _nativeDst;
    private nint _instance;
    private unsafe delegate* unmanaged[Cdecl]<nint, NativeCache*, NativeCache*, uint, uint, ulong, long, uint> _copy;
    private unsafe delegate* unmanaged[Cdecl]<nint, long, uint> _deallocate;

    /// <summary>Where tests/native/native.targets built the fake engine and the shim (baked in at build time, so
    /// BenchmarkDotNet's child processes find them too).</summary>
    private static string NativeLibDirectory => typeof(NativeCallBenchmarks).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "LlmddNativeLibDir").Value!;

    [GlobalSetup]
    public void Setup()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("LLMDD_SHIM_PATH")))
        {
            Environment.SetEnvironmentVariable("LLMDD_SHIM_PATH", NativeLibDirectory);
        }

        _factory = new AscendBackendFactory(new AscendBackendOptions { WorkerCount = 2 });
        _backend = _factory.CreateBackend(1, LlmRole.Mix);
        _client = LlmDataDistClient.Create(_factory, 2, LlmRole.Mix);
        Task.Run(AllocateAsync).GetAwaiter().GetResult();
        Bind();
        if (Direct_Copy() != 0 || Backend_Copy().GetAwaiter().GetResult() != LlmStatus.Success)
        {
            throw new InvalidOperationException("CopyKvCache failed in setup");
        }
    }

    private async Task AllocateAsync()
    {
        var desc = new CacheDesc { NumTensors = 4, DataType = DataType.Int32, Shape = [8, 16] };
        await _backend.InitializeAsync(new Dictionary<string, string> { [LlmOptionKeys.DeviceId] = "0" });
        await _client.InitializeAsync(new LlmDataDistOptions { DeviceId = 0 });
        (_src, _dst) = ((await _backend.AllocateCacheAsync(desc)).Cache, (await _backend.AllocateCacheAsync(desc)).Cache);
        (_clientSrc, _clientDst) = (await _client.AllocateCacheAsync(desc), await _client.AllocateCacheAsync(desc));
    }

    private unsafe void Bind()
    {
        _arena = NativeArena.Rent();
        _nativeSrc = NativeMarshal.Cache(_arena, _src);
        _nativeDst = NativeMarshal.Cache(_arena, _dst);
        _handle = (NativeInstanceHandle)typeof(AscendBackend).GetField("_handle", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(_backend)!;
        _instance = _handle.DangerousGetHandle();
        var shim = NativeLibrary.Load(Path.Combine(NativeLibDirectory, "libllmdd_shim.so"));
        _copy = (delegate* unmanaged[Cdecl]<nint, NativeCache*, NativeCache*, uint, uint, ulong, long, uint>)NativeLibrary.GetExport(shim, "llmdd_copy_kv_cache");
        _deallocate = (delegate* unmanaged[Cdecl]<nint, long, uint>)NativeLibrary.GetExport(shim, "llmdd_deallocate_cache");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _arena.Dispose();
        _backend.Dispose();
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _factory.Dispose();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("CopyKvCache")]
    public unsafe uint Direct_Copy() => _copy(_instance, _nativeSrc, _nativeDst, 0, 1, 0, -1);

    [Benchmark]
    [BenchmarkCategory("CopyKvCache")]
    public unsafe uint Marshalled_Copy()
    {
        using var arena = NativeArena.Rent();
        return NativeMethods.CopyKvCache(_handle, NativeMarshal.Cache(arena, _src), NativeMarshal.Cache(arena, _dst), 0, 1, 0, -1);
    }

    [Benchmark]
    [BenchmarkCategory("CopyKvCache")]
    public async Task<LlmStatus> Backend_Copy() => await _backend.CopyKvCacheAsync(_src, _dst, 0, 1, 0, -1);

    [Benchmark]
    [BenchmarkCategory("CopyKvCache")]
    public async Task Client_Copy() => await _client.CopyKvCacheAsync(_clientSrc, _clientDst, 0, 1);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("DeallocateCache")]
    public unsafe uint Direct_Deallocate() => _deallocate(_instance, 1 << 30);

    [Benchmark]
    [BenchmarkCategory("DeallocateCache")]
    public uint Marshalled_Deallocate() => NativeMethods.DeallocateCache(_handle, 1 << 30);

    [Benchmark]
    [BenchmarkCategory("DeallocateCache")]
    public async Task<LlmStatus> Backend_Deallocate() => await _backend.DeallocateCacheAsync(1 << 30);
}
