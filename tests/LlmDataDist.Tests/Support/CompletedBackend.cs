namespace LlmDataDist.Tests.Support;

/// <summary>
/// The cheapest possible backend: every call returns an already completed success and allocates nothing, so what a
/// client call costs on top of it is the client's own overhead (the hot-path test and benchmark measure exactly that).
/// </summary>
public sealed class CompletedBackend : ILlmDataDistBackend
{
    private static readonly ValueTask<LlmStatus> Success = new(LlmStatus.Success);

    public ValueTask<LlmStatus> InitializeAsync(IReadOnlyDictionary<string, string> options, CancellationToken cancellationToken = default) => Success;

    public ValueTask ShutdownAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask<LlmStatus> SetRoleAsync(LlmRole role, IReadOnlyDictionary<string, string> options, CancellationToken cancellationToken = default) => Success;

    public ValueTask<LinkLlmClustersResult> LinkLlmClustersAsync(IReadOnlyList<ClusterInfo> clusters, int timeoutInMillis, CancellationToken cancellationToken = default) =>
        new(new LinkLlmClustersResult(LlmStatus.Success, []));

    public ValueTask<UnlinkLlmClustersResult> UnlinkLlmClustersAsync(IReadOnlyList<ClusterInfo> clusters, int timeoutInMillis, bool forceFlag, CancellationToken cancellationToken = default) =>
        new(new UnlinkLlmClustersResult(LlmStatus.Success, []));

    public ValueTask<AllocateCacheResult> AllocateCacheAsync(CacheDesc cacheDesc, CancellationToken cancellationToken = default) =>
        new(new AllocateCacheResult(LlmStatus.Success, new Cache(1, [0x1000], cacheDesc)));

    public ValueTask<LlmStatus> DeallocateCacheAsync(long cacheId, CancellationToken cancellationToken = default) => Success;

    public ValueTask<LlmStatus> PullKvCacheAsync(CacheIndex srcCacheIndex, Cache dstCache, uint batchIndex, long size, KvCacheExtParam extParam, CancellationToken cancellationToken = default) => Success;

    public ValueTask<LlmStatus> PullKvBlocksAsync(CacheIndex srcCacheIndex, Cache dstCache, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<ulong> dstBlocks, KvCacheExtParam extParam, CancellationToken cancellationToken = default) => Success;

    public ValueTask<LlmStatus> CopyKvCacheAsync(Cache srcCache, Cache dstCache, uint srcBatchIndex, uint dstBatchIndex, ulong offset, long size, CancellationToken cancellationToken = default) => Success;

    public ValueTask<LlmStatus> CopyKvBlocksAsync(Cache srcCache, Cache dstCache, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<IReadOnlyList<ulong>> dstBlocksList, CancellationToken cancellationToken = default) => Success;

    public ValueTask<LlmStatus> PushKvCacheAsync(Cache srcCache, CacheIndex dstCacheIndex, uint srcBatchIndex, long size, KvCacheExtParam extParam, CancellationToken cancellationToken = default) => Success;

    public ValueTask<LlmStatus> PushKvBlocksAsync(Cache srcCache, CacheIndex dstCacheIndex, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<ulong> dstBlocks, KvCacheExtParam extParam, CancellationToken cancellationToken = default) => Success;

    public ValueTask<RegisterKvCacheResult> RegisterKvCacheAsync(CacheDesc cacheDesc, IReadOnlyList<ulong> addrs, RegisterCfg cfg, CancellationToken cancellationToken = default) =>
        new(new RegisterKvCacheResult(LlmStatus.Success, 1));

    public ValueTask<LlmStatus> UnregisterKvCacheAsync(long cacheId, CancellationToken cancellationToken = default) => Success;

    public void Dispose()
    {
    }
}
