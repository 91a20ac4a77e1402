using System.Runtime.InteropServices;
using LlmDataDist.Ascend.Interop;

namespace LlmDataDist.Ascend.Tests;

/// <summary>What a user sees when the shim is missing, is not a shim, or comes from another spec.</summary>
public sealed class LibraryResolutionTests
{
    [Fact]
    public void A_missing_shim_is_one_DllNotFoundException_naming_every_place_looked_in()
    {
        var empty = Directory.CreateTempSubdirectory("llmdd-empty-").FullName;
        try
        {
            var error = Assert.Throws<DllNotFoundException>(() => NativeLibraryLoader.Locate(null, empty, _ => IntPtr.Zero));
            Assert.Contains("LLMDD_SHIM_PATH: not set", error.Message);
            foreach (var rid in NativeLibraryLoader.RuntimeIdentifiers())
            {
                Assert.Contains(Path.Combine(empty, "runtimes", rid, "native", "libllmdd_shim.so"), error.Message);
            }

            Assert.Contains(Path.Combine(empty, "libllmdd_shim.so"), error.Message);
            Assert.Contains("system loader", error.Message);
            Assert.Contains("docs/hardware.md", error.Message);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    [Fact]
    public void An_explicit_shim_path_that_does_not_exist_is_reported_and_nothing_else_is_loaded()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-dir", "libllmdd_shim.so");
        var error = Assert.Throws<DllNotFoundException>(() => NativeLibraryLoader.Locate(missing, NativeTestEnvironment.OutputDirectory, _ => throw new InvalidOperationException("must not be asked")));
        Assert.Contains($"LLMDD_SHIM_PATH={missing}", error.Message);
        Assert.Contains("no such file", error.Message);
    }

    [Fact]
    public void The_shim_is_found_beside_the_assembly_and_in_a_folder_named_by_LLMDD_SHIM_PATH()
    {
        var beside = NativeLibraryLoader.Locate(null, NativeTestEnvironment.OutputDirectory, _ => IntPtr.Zero);
        var named = NativeLibraryLoader.Locate(NativeTestEnvironment.OutputDirectory, "/nonexistent", _ => IntPtr.Zero);
        Assert.Equal(beside, named); // the same loaded library
        NativeLibraryLoader.Check(beside);
    }

    [Fact]
    public void A_library_that_is_not_a_shim_is_rejected_by_name()
    {
        var engine = NativeLibrary.Load(Path.Combine(NativeTestEnvironment.OutputDirectory, "libllm_engine.so"));
        var error = Assert.Throws<InvalidOperationException>(() => NativeLibraryLoader.Check(engine));
        Assert.Contains("not an LlmDataDist shim", error.Message);
    }

    [Fact]
    public void A_shim_of_another_spec_or_ABI_says_to_rebuild_it()
    {
        NativeLibraryLoader.Verify(NativeMethods.AbiVersion, NativeMethods.SpecHash);
        var hash = Assert.Throws<InvalidOperationException>(() => NativeLibraryLoader.Verify(NativeMethods.AbiVersion, NativeMethods.SpecHash ^ 1));
        Assert.Contains("generated from a different spec; rebuild it", hash.Message);
        Assert.Contains($"0x{NativeMethods.SpecHash ^ 1:x16}", hash.Message);
        var abi = Assert.Throws<InvalidOperationException>(() => NativeLibraryLoader.Verify(NativeMethods.AbiVersion + 1, NativeMethods.SpecHash));
        Assert.Contains($"ABI {NativeMethods.AbiVersion + 1}", abi.Message);
    }
}
