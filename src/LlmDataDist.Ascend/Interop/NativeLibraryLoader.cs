using System.Reflection;
using System.Runtime.InteropServices;

namespace LlmDataDist.Ascend.Interop;

/// <summary>
/// Finds and checks the shim once per process: <c>LLMDD_SHIM_PATH</c> (a file, or a folder holding it), else the
/// package's native folder beside this assembly (<c>runtimes/&lt;rid&gt;/native/</c>, then the assembly's own folder,
/// where publishing flattens it), else the system loader (<c>LD_LIBRARY_PATH</c>, the loader cache). A shim that is
/// not found gives one <see cref="DllNotFoundException"/> listing every place tried and why each failed; a shim
/// generated from another spec gives an <see cref="InvalidOperationException"/> saying to rebuild it.
/// </summary>
internal static unsafe class NativeLibraryLoader
{
    /// <summary>The environment variable that names the shim explicitly.</summary>
    public const string ShimPathVariable = "LLMDD_SHIM_PATH";

    private static readonly Lazy<nint> Library = new(LoadFromEnvironment, LazyThreadSafetyMode.ExecutionAndPublication);

    static NativeLibraryLoader()
    {
        // Once per assembly (a second registration throws): here, before any P/Invoke can bind.
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);
    }

    /// <summary>The shim's file name on this operating system.</summary>
    public static string FileName =>
        OperatingSystem.IsWindows() ? NativeMethods.LibraryName + ".dll"
        : OperatingSystem.IsMacOS() ? "lib" + NativeMethods.LibraryName + ".dylib"
        : "lib" + NativeMethods.LibraryName + ".so";

    /// <summary>Loads and checks the shim, or throws the one clear error (the same one on every later call).</summary>
    public static void EnsureLoaded() => _ = Library.Value;

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == NativeMethods.LibraryName ? Library.Value : IntPtr.Zero;

    private static nint LoadFromEnvironment()
    {
        var directory = Path.GetDirectoryName(typeof(NativeLibraryLoader).Assembly.Location);
        var handle = Locate(Environment.GetEnvironmentVariable(ShimPathVariable), string.IsNullOrEmpty(directory) ? AppContext.BaseDirectory : directory, SystemLoad);
        Check(handle);
        return handle;
    }

    /// <summary>The runtime identifiers whose native folder may hold the shim, most specific first.</summary>
    internal static IEnumerable<string> RuntimeIdentifiers()
    {
        yield return RuntimeInformation.RuntimeIdentifier;
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        var arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        yield return $"{os}-{arch}";
    }

    /// <summary>Finds the shim; see the class summary for the order.</summary>
    /// <param name="shimPath">The value of <c>LLMDD_SHIM_PATH</c>, or null.</param>
    /// <param name="assemblyDirectory">The folder of this assembly.</param>
    /// <param name="systemLoad">The system loader's attempt by file name (a parameter so tests can see the message of
    /// a process where the loader finds nothing).</param>
    /// <returns>The loaded library.</returns>
    /// <exception cref="DllNotFoundException">Listing every place tried and why each failed.</exception>
    internal static nint Locate(string? shimPath, string assemblyDirectory, Func<string, nint> systemLoad)
    {
        var tried = new List<string>();
        if (!string.IsNullOrEmpty(shimPath))
        {
            // An explicit path is the user's choice: if it cannot be loaded, say so rather than load another shim.
            var path = Directory.Exists(shimPath) ? Path.Combine(shimPath, FileName) : shimPath;
            if (TryLoadFile(path, tried, $"{ShimPathVariable}={shimPath}", out var chosen))
            {
                return chosen;
            }

            throw NotFound(tried);
        }

        tried.Add($"{ShimPathVariable}: not set");
        foreach (var rid in RuntimeIdentifiers().Distinct(StringComparer.Ordinal))
        {
            if (TryLoadFile(Path.Combine(assemblyDirectory, "runtimes", rid, "native", FileName), tried, "package native folder", out var found))
            {
                return found;
            }
        }

        if (TryLoadFile(Path.Combine(assemblyDirectory, FileName), tried, "beside the assembly", out var beside))
        {
            return beside;
        }

        var system = systemLoad(FileName);
        if (system != IntPtr.Zero)
        {
            return system;
        }

        tried.Add($"system loader ({(OperatingSystem.IsLinux() ? "LD_LIBRARY_PATH, ld.so.cache, /lib, /usr/lib" : "default search path")}) for {FileName}: not found");
        throw NotFound(tried);
    }

    private static nint SystemLoad(string fileName) => NativeLibrary.TryLoad(fileName, out var handle) ? handle : IntPtr.Zero;

    private static bool TryLoadFile(string path, List<string> tried, string what, out nint handle)
    {
        handle = IntPtr.Zero;
        if (!File.Exists(path))
        {
            tried.Add($"{what}: {path}: no such file");
            return false;
        }

        try
        {
            handle = NativeLibrary.Load(path);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            // Typically a dependency of the shim (libllm_engine.so) that the loader cannot find.
            tried.Add($"{what}: {path}: exists but does not load: {e.Message}");
            return false;
        }
    }

    private static DllNotFoundException NotFound(List<string> tried) => new(
        $"The LlmDataDist native shim ({FileName}) was not found or did not load. Looked in:{Environment.NewLine}  - " +
        string.Join(Environment.NewLine + "  - ", tried) + Environment.NewLine +
        $"Build it (see docs/hardware.md), then set {ShimPathVariable} to its path or put it beside the application.");

    /// <summary>Checks that a loaded library is a shim of this ABI version, generated from the spec this assembly was.</summary>
    /// <param name="library">The loaded library.</param>
    /// <exception cref="InvalidOperationException">Not a shim, or another ABI version or spec.</exception>
    internal static void Check(nint library)
    {
        if (!NativeLibrary.TryGetExport(library, "llmdd_abi_version", out var abiExport) || !NativeLibrary.TryGetExport(library, "llmdd_spec_hash", out var hashExport))
        {
            throw new InvalidOperationException($"The library loaded as {FileName} does not export llmdd_abi_version and llmdd_spec_hash: it is not an LlmDataDist shim.");
        }

        Verify(((delegate* unmanaged[Cdecl]<uint>)abiExport)(), ((delegate* unmanaged[Cdecl]<ulong>)hashExport)());
    }

    /// <summary>Compares what a shim reports with the constants generated into this assembly.</summary>
    /// <param name="abi">The shim's <c>llmdd_abi_version()</c>.</param>
    /// <param name="hash">The shim's <c>llmdd_spec_hash()</c>.</param>
    /// <exception cref="InvalidOperationException">They differ.</exception>
    internal static void Verify(uint abi, ulong hash)
    {
        if (abi != NativeMethods.AbiVersion || hash != NativeMethods.SpecHash)
        {
            throw new InvalidOperationException(
                $"The shim was generated from a different spec; rebuild it. Shim: ABI {abi}, spec hash 0x{hash:x16}; " +
                $"this assembly: ABI {NativeMethods.AbiVersion}, spec hash 0x{NativeMethods.SpecHash:x16}.");
        }
    }
}
