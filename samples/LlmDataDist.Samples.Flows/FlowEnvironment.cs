namespace LlmDataDist.Samples.Flows;

/// <summary>
/// Where the flows run: the backend factory of each server, how scenario code is run, the clock transfers are timed
/// by, and (where it can) a view of cache memory so the decoder side can check every byte it received.
/// </summary>
public abstract class FlowEnvironment : IDisposable
{
    /// <summary>A short name for logs ("sim", "native").</summary>
    public abstract string Name { get; }

    /// <summary>The clock transfers are timed by (virtual time in the simulator).</summary>
    public abstract TimeProvider TimeProvider { get; }

    /// <summary>The factory of the instances of one server (the native backend has one process-wide factory).</summary>
    public abstract ILlmDataDistBackendFactory Factory(int server);

    /// <summary>Runs scenario code to its end.</summary>
    public abstract T Run<T>(Func<Task<T>> scenario);

    /// <summary>Writes bytes into cache memory; false where the memory is not reachable from the host.</summary>
    public abstract bool TryWrite(ulong address, ReadOnlySpan<byte> bytes);

    /// <summary>Reads cache memory; null where it is not reachable from the host (device memory on hardware).</summary>
    public abstract byte[]? TryRead(ulong address, long length);

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the environment.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}
