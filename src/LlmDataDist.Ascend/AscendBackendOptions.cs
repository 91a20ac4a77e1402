namespace LlmDataDist.Ascend;

/// <summary>Settings of an <see cref="AscendBackendFactory"/>.</summary>
public sealed record AscendBackendOptions
{
    /// <summary>The default worker count: one per core, at most 4.</summary>
    public static int DefaultWorkerCount => Math.Min(4, Environment.ProcessorCount);

    /// <summary>How many dedicated threads make the blocking native calls of every backend of the factory. Calls beyond
    /// this many at once wait in a queue, so size it to the number of transfers you run concurrently.</summary>
    public int WorkerCount { get; init; } = DefaultWorkerCount;
}
