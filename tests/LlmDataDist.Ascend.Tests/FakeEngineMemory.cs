using System.Runtime.InteropServices;

namespace LlmDataDist.Ascend.Tests;

/// <summary>
/// "Device" memory of the fake engine (its stand-in for aclrtMalloc): host memory the engine knows, so copies and
/// registrations that name it are accepted; memory it does not know is LLM_PARAM_INVALID, never a wild write.
/// </summary>
internal static unsafe class FakeEngineMemory
{
    private static readonly nint Engine = NativeLibrary.Load(Path.Combine(NativeTestEnvironment.OutputDirectory, "libllm_engine.so"));
    private static readonly delegate* unmanaged[Cdecl]<ulong, void*> AllocFn = (delegate* unmanaged[Cdecl]<ulong, void*>)NativeLibrary.GetExport(Engine, "llmdd_fake_mem_alloc");
    private static readonly delegate* unmanaged[Cdecl]<void*, void> FreeFn = (delegate* unmanaged[Cdecl]<void*, void>)NativeLibrary.GetExport(Engine, "llmdd_fake_mem_free");

    /// <summary>Zeroed, 512-byte aligned memory of at least one byte.</summary>
    public static ulong Allocate(long bytes)
    {
        var size = (ulong)Math.Max(bytes, 1);
        var memory = AllocFn(size);
        Assert.True(memory != null, $"the fake engine could not allocate {size} bytes");
        NativeMemory.Clear(memory, (nuint)size);
        return (ulong)memory;
    }

    public static void Free(ulong address) => FreeFn((void*)address);
}
