namespace LlmDataDist.Testing;

/// <summary>Forwards every call to the simulated instance unchanged and notes its C++ name first, so a test can check
/// that a call the client rejected never reached the backend.</summary>
internal sealed class RecordingBackend(ILlmDataDistBackend inner) : ILlmDataDistBackend
{
    private readonly List<string> _calls = [];

    public IReadOnlyList<string> Calls => _calls;

    public ValueTask<LlmStatus> InitializeAsync(IReadOnlyDictionary<string, string> options, CancellationToken cancellationToken = default) =>
        Note("Initialize", inner.InitializeAsync(options, cancellationToken));

    public ValueTask ShutdownAsync(CancellationToken cancellationToken = default)
    {
        _calls.Add("Finalize");
        return inner.ShutdownAsync(cancellationToken);
    }

    public ValueTask<LlmStatus> SetRoleAsync(LlmRole role, IReadOnlyDictionary<string, string> options, CancellationToken cancellationToken = default) =>
        Note("SetRole", inner.SetRoleAsync(role, options, cancellationToken));

    public ValueTask<LinkLlmClustersResult> LinkLlmClustersAsync(IReadOnlyList<ClusterInfo> clusters, int timeoutInMillis, CancellationToken cancellationToken = default) =>
        Note("LinkLlmClusters", inner.LinkLlmClustersAsync(clusters, timeoutInMillis, cancellationToken));

    public ValueTask<UnlinkLlmClustersResult> UnlinkLlmClustersAsync(IReadOnlyList<ClusterInfo> clusters, int timeoutInMillis, bool forceFlag, CancellationToken cancellationToken = default) =>
        Note("UnlinkLlmClusters", inner.UnlinkLlmClustersAsync(clusters, timeoutInMillis, forceFlag, cancellationToken));

    public ValueTask<AllocateCacheResult> AllocateCacheAsync(CacheDesc cacheDesc, CancellationToken cancellationToken = default) =>
        Note("AllocateCache", inner.AllocateCacheAsync(cacheDesc, cancellationToken));

    public ValueTask<LlmStatus> DeallocateCacheAsync(long cacheId, CancellationToken cancellationToken = default) =>
        Note("DeallocateCache", inner.DeallocateCacheAsync(cacheId, cancellationToken));

    public ValueTask<LlmStatus> PullKvCacheAsync(CacheIndex srcCacheIndex, Cache dstCache, uint batchIndex, long size, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
        Note("PullKvCache", inner.PullKvCacheAsync(srcCacheIndex, dstCache, batchIndex, size, extParam, cancellationToken));

    public ValueTask<LlmStatus> PullKvBlocksAsync(CacheIndex srcCacheIndex, Cache dstCache, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<ulong> dstBlocks, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
        Note("PullKvBlocks", inner.PullKvBlocksAsync(srcCacheIndex, dstCache, srcBlocks, dstBlocks, extParam, cancellationToken));

    public ValueTask<LlmStatus> CopyKvCacheAsync(Cache srcCache, Cache dstCache, uint srcBatchIndex, uint dstBatchIndex, ulong offset, long size, CancellationToken cancellationToken = default) =>
        Note("CopyKvCache", inner.CopyKvCacheAsync(srcCache, dstCache, srcBatchIndex, dstBatchIndex, offset, size, cancellationToken));

    public ValueTask<LlmStatus> CopyKvBlocksAsync(Cache srcCache, Cache dstCache, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<IReadOnlyList<ulong>> dstBlocksList, CancellationToken cancellationToken = default) =>
        Note("CopyKvBlocks", inner.CopyKvBlocksAsync(srcCache, dstCache, srcBlocks, dstBlocksList, cancellationToken));

    public ValueTask<LlmStatus> PushKvCacheAsync(Cache srcCache, CacheIndex dstCacheIndex, uint srcBatchIndex, long size, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
        Note("PushKvCache", inner.PushKvCacheAsync(srcCache, dstCacheIndex, srcBatchIndex, size, extParam, cancellationToken));

    public ValueTask<LlmStatus> PushKvBlocksAsync(Cache srcCache, CacheIndex dstCacheIndex, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<ulong> dstBlocks, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
        Note("PushKvBlocks", inner.PushKvBlocksAsync(srcCache, dstCacheIndex, srcBlocks, dstBlocks, extParam, cancellationToken));

    public ValueTask<RegisterKvCacheResult> RegisterKvCacheAsync(CacheDesc cacheDesc, IReadOnlyList<ulong> addrs, RegisterCfg cfg, CancellationToken cancellationToken = default) =>
        Note("RegisterKvCache", inner.RegisterKvCacheAsync(cacheDesc, addrs, cfg, cancellationToken));

    public ValueTask<LlmStatus> UnregisterKvCacheAsync(long cacheId, CancellationToken cancellationToken = default) =>
        Note("UnregisterKvCache", inner.UnregisterKvCacheAsync(cacheId, cancellationToken));

    public void Dispose() => inner.Dispose();

    // Noted once the call has been made (it may still be pending): the log says what reached the backend.
    private ValueTask<T> Note<T>(string method, ValueTask<T> call)
    {
        _calls.Add(method);
        return call;
    }
}
