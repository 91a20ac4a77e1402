using LlmDataDist.Ascend.Interop;

namespace LlmDataDist.Ascend;

/// <summary>
/// Creates <see cref="AscendBackend"/> instances (the C++ constructor), so <c>LlmDataDistClient.Create(factory, …)</c>
/// runs over the native engine exactly as over the simulator. The factory owns the worker threads its backends share.
/// </summary>
/// <remarks>
/// Constructing the factory loads the shim: <c>LLMDD_SHIM_PATH</c> (the file, or its folder), then the package's
/// <c>runtimes/&lt;rid&gt;/native/</c> folder beside this assembly (and the assembly's own folder), then the system
/// loader. A shim that cannot be found throws one <see cref="DllNotFoundException"/> listing every place tried; a shim
/// generated from another spec throws <see cref="InvalidOperationException"/>.
/// </remarks>
public sealed class AscendBackendFactory : ILlmDataDistBackendFactory, IDisposable
{
    private readonly NativeWorkerPool _pool;

    /// <summary>Loads and checks the shim and starts the worker threads.</summary>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <exception cref="DllNotFoundException">The shim (or the engine it links) was not found.</exception>
    /// <exception cref="InvalidOperationException">The shim was generated from a different spec or ABI version.</exception>
    public AscendBackendFactory(AscendBackendOptions? options = null)
    {
        options ??= new AscendBackendOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.WorkerCount, 1, nameof(options));
        NativeLibraryLoader.EnsureLoaded();
        _pool = new NativeWorkerPool(options.WorkerCount);
    }

    /// <summary>How many worker threads make the native calls.</summary>
    public int WorkerCount => _pool.WorkerCount;

    /// <inheritdoc/>
    public ILlmDataDistBackend Create(ulong clusterId, LlmRole role) => CreateBackend(clusterId, role);

    /// <summary>Creates an instance (the C++ constructor; cheap, so it runs on the calling thread). Nothing is
    /// validated until Initialize.</summary>
    /// <param name="clusterId">The id of this instance, unique among everything that links.</param>
    /// <param name="role">The role of this instance.</param>
    /// <returns>The backend; dispose it (or the client that owns it) to run the destructor.</returns>
    /// <exception cref="InvalidOperationException">The native instance could not be created (out of memory).</exception>
    public AscendBackend CreateBackend(ulong clusterId, LlmRole role)
    {
        var status = (LlmStatus)NativeMethods.Create(clusterId, (int)role, out var handle);
        if (status != LlmStatus.Success || handle.IsInvalid)
        {
            handle.Dispose();
            throw new InvalidOperationException($"llmdd_create failed with {status}: the native instance could not be created.");
        }

        return new AscendBackend(handle, _pool, clusterId, role);
    }

    /// <summary>Stops the worker threads once the calls already queued have run. Backends of this factory cannot make
    /// calls afterwards (<see cref="ObjectDisposedException"/>); dispose them too.</summary>
    public void Dispose() => _pool.Dispose();
}
