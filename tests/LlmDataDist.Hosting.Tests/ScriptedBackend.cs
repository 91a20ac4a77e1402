namespace LlmDataDist.Hosting.Tests;

/// <summary>A backend whose transfers return scripted statuses (then success), recording every call it gets.</summary>
internal sealed class ScriptedBackend : ILlmDataDistBackend, ILlmDataDistBackendFactory
{
    private readonly Queue<LlmStatus> _pulls;

    public ScriptedBackend(params LlmStatus[] pulls) => _pulls = new(pulls);

    public List<string> Calls { get; } = [];

    public ILlmDataDistBackend Create(ulong clusterId, LlmRole role) => this;

    public ValueTask<LlmStatus> InitializeAsync(IReadOnlyDictionary<string, string> options, CancellationToken cancellationToken = default) => Note("Initialize");

    public ValueTask ShutdownAsync(CancellationToken cancellationToken = default)
    {
        Calls.Add("Finalize");
        return ValueTask.CompletedTask;
    }

    public ValueTask<LlmStatus> SetRoleAsync(LlmRole role, IReadOnlyDictionary<string, string> options, CancellationToken cancellationToken = default) => Note("SetRole");

    public ValueTask<LinkLlmClustersResult> LinkLlmClustersAsync(IReadOnlyList<ClusterInfo> clusters, int timeoutInMillis, CancellationToken cancellationToken = default)
    {
        Calls.Add("Link");
        return new(new LinkLlmClustersResult(LlmStatus.Success, [.. clusters.Select(_ => LlmStatus.Success)]));
    }

    public ValueTask<UnlinkLlmClustersResult> UnlinkLlmClustersAsync(IReadOnlyList<ClusterInfo> clusters, int timeoutInMillis, bool forceFlag, CancellationToken cancellationToken = default)
    {
        Calls.Add(forceFlag ? "Unlink(force)" : "Unlink");
        return new(new UnlinkLlmClustersResult(LlmStatus.Success, [.. clusters.Select(_ => LlmStatus.Success)]));
    }

    public ValueTask<AllocateCacheResult> AllocateCacheAsync(CacheDesc cacheDesc, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public ValueTask<LlmStatus> DeallocateCacheAsync(long cacheId, CancellationToken cancellationToken = default) => Note("DeallocateCache");

    public ValueTask<LlmStatus> PullKvCacheAsync(CacheIndex srcCacheIndex, Cache dstCache, uint batchIndex, long size, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
        Pull();

    public ValueTask<LlmStatus> PullKvBlocksAsync(CacheIndex srcCacheIndex, Cache dstCache, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<ulong> dstBlocks, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
        Pull();

    public ValueTask<LlmStatus> CopyKvCacheAsync(Cache srcCache, Cache dstCache, uint srcBatchIndex, uint dstBatchIndex, ulong offset, long size, CancellationToken cancellationToken = default) => Note("CopyKvCache");

    public ValueTask<LlmStatus> CopyKvBlocksAsync(Cache srcCache, Cache dstCache, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<IReadOnlyList<ulong>> dstBlocksList, CancellationToken cancellationToken = default) => Note("CopyKvBlocks");

    public ValueTask<LlmStatus> PushKvCacheAsync(Cache srcCache, CacheIndex dstCacheIndex, uint srcBatchIndex, long size, KvCacheExtParam extParam, CancellationToken cancellationToken = default) => Note("PushKvCache");

    public ValueTask<LlmStatus> PushKvBlocksAsync(Cache srcCache, CacheIndex dstCacheIndex, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<ulong> dstBlocks, KvCacheExtParam extParam, CancellationToken cancellationToken = default) => Note("PushKvBlocks");

    public ValueTask<RegisterKvCacheResult> RegisterKvCacheAsync(CacheDesc cacheDesc, IReadOnlyList<ulong> addrs, RegisterCfg cfg, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public ValueTask<LlmStatus> UnregisterKvCacheAsync(long cacheId, CancellationToken cancellationToken = default) => Note("UnregisterKvCache");

    public void Dispose()
    {
    }

    private ValueTask<LlmStatus> Pull()
    {
        Calls.Add("Pull");
        return new(_pulls.TryDequeue(out var status) ? status : LlmStatus.Success);
    }

    private ValueTask<LlmStatus> Note(string call)
    {
        Calls.Add(call);
        return new(LlmStatus.Success);
    }
}
