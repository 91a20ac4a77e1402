using System.Globalization;

namespace LlmDataDist.Samples.Quickstart;

/// <summary>
/// A stand-in for a real backend: prints every raw call it receives and answers like a well-behaved CE engine would
/// in the simplest case. It keeps just enough state (links, allocated caches) for the quickstart flow, and returns
/// any status scripted with <see cref="FailNext"/>, so the typed exceptions can be shown without hardware.
/// </summary>
internal sealed class EchoBackend(string name, ulong clusterId) : ILlmDataDistBackend
{
    private readonly HashSet<ulong> _links = [];
    private readonly Dictionary<string, LlmStatus> _scripted = new(StringComparer.Ordinal);
    private long _nextCacheId = 1;

    /// <summary>The next call of <paramref name="method"/> returns <paramref name="status"/> instead of its normal answer.</summary>
    public void FailNext(string method, LlmStatus status) => _scripted[method] = status;

    public ValueTask<LlmStatus> InitializeAsync(IReadOnlyDictionary<string, string> options, CancellationToken cancellationToken = default) =>
        Answer("Initialize", string.Join(", ", options.Select(o => $"{o.Key}={o.Value}")), LlmStatus.Success);

    public ValueTask ShutdownAsync(CancellationToken cancellationToken = default)
    {
        _links.Clear();
        Print("Finalize", "");
        return ValueTask.CompletedTask;
    }

    public ValueTask<LlmStatus> SetRoleAsync(LlmRole role, IReadOnlyDictionary<string, string> options, CancellationToken cancellationToken = default) =>
        Answer("SetRole", role.ToString(), LlmStatus.Success);

    public async ValueTask<LinkLlmClustersResult> LinkLlmClustersAsync(IReadOnlyList<ClusterInfo> clusters, int timeoutInMillis, CancellationToken cancellationToken = default)
    {
        // Per-cluster statuses as CE reports them: a peer that is already linked is ALREADY_LINK, the call still succeeds.
        var rets = clusters.Select(c => _links.Add(c.RemoteClusterId) ? LlmStatus.Success : LlmStatus.AlreadyLink).ToList();
        var status = await Answer("LinkLlmClusters", $"{Ids(clusters)}, {timeoutInMillis} ms", LlmStatus.Success).ConfigureAwait(false);
        return new LinkLlmClustersResult(status, rets);
    }

    public async ValueTask<UnlinkLlmClustersResult> UnlinkLlmClustersAsync(IReadOnlyList<ClusterInfo> clusters, int timeoutInMillis, bool forceFlag, CancellationToken cancellationToken = default)
    {
        var rets = clusters.Select(c => _links.Remove(c.RemoteClusterId) ? LlmStatus.Success : LlmStatus.NotYetLink).ToList();
        var status = await Answer("UnlinkLlmClusters", $"{Ids(clusters)}, {timeoutInMillis} ms, force={forceFlag}", LlmStatus.Success).ConfigureAwait(false);
        return new UnlinkLlmClustersResult(status, rets);
    }

    public async ValueTask<AllocateCacheResult> AllocateCacheAsync(CacheDesc cacheDesc, CancellationToken cancellationToken = default)
    {
        var status = await Answer("AllocateCache", cacheDesc.ToString(), LlmStatus.Success).ConfigureAwait(false);
        if (status != LlmStatus.Success)
        {
            return new AllocateCacheResult(status, new Cache());
        }

        var id = _nextCacheId++;
        // Made-up device addresses: distinct per cache and per tensor, which is all a caller may rely on.
        var addrs = Enumerable.Range(0, (int)cacheDesc.NumTensors).Select(i => (0x12C0_0000_0000UL * (ulong)clusterId) + ((ulong)id << 32) + ((ulong)i << 20)).ToList();
        return new AllocateCacheResult(status, new Cache(id, addrs, cacheDesc));
    }

    public ValueTask<LlmStatus> DeallocateCacheAsync(long cacheId, CancellationToken cancellationToken = default) =>
        Answer("DeallocateCache", cacheId.ToString(CultureInfo.InvariantCulture), LlmStatus.Success);

    public ValueTask<LlmStatus> PullKvCacheAsync(CacheIndex srcCacheIndex, Cache dstCache, uint batchIndex, long size, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
        Answer("PullKvCache", $"{srcCacheIndex} -> cache {dstCache.CacheId} row {batchIndex}", Linked(srcCacheIndex.ClusterId));

    public ValueTask<LlmStatus> PullKvBlocksAsync(CacheIndex srcCacheIndex, Cache dstCache, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<ulong> dstBlocks, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
        Answer("PullKvBlocks", $"cluster {srcCacheIndex.ClusterId} cache {srcCacheIndex.CacheId} blocks [{string.Join(", ", srcBlocks)}] -> cache {dstCache.CacheId} blocks [{string.Join(", ", dstBlocks)}]", Linked(srcCacheIndex.ClusterId));

    public ValueTask<LlmStatus> CopyKvCacheAsync(Cache srcCache, Cache dstCache, uint srcBatchIndex, uint dstBatchIndex, ulong offset, long size, CancellationToken cancellationToken = default) =>
        Answer("CopyKvCache", $"cache {srcCache.CacheId} -> cache {dstCache.CacheId}", LlmStatus.Success);

    public ValueTask<LlmStatus> CopyKvBlocksAsync(Cache srcCache, Cache dstCache, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<IReadOnlyList<ulong>> dstBlocksList, CancellationToken cancellationToken = default) =>
        Answer("CopyKvBlocks", $"cache {srcCache.CacheId} -> cache {dstCache.CacheId}", LlmStatus.Success);

    public ValueTask<LlmStatus> PushKvCacheAsync(Cache srcCache, CacheIndex dstCacheIndex, uint srcBatchIndex, long size, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
        Answer("PushKvCache", $"cache {srcCache.CacheId} -> {dstCacheIndex}", Linked(dstCacheIndex.ClusterId));

    public ValueTask<LlmStatus> PushKvBlocksAsync(Cache srcCache, CacheIndex dstCacheIndex, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<ulong> dstBlocks, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
        Answer("PushKvBlocks", $"cache {srcCache.CacheId} -> {dstCacheIndex}", Linked(dstCacheIndex.ClusterId));

    public ValueTask<RegisterKvCacheResult> RegisterKvCacheAsync(CacheDesc cacheDesc, IReadOnlyList<ulong> addrs, RegisterCfg cfg, CancellationToken cancellationToken = default)
    {
        // CE semantics: registration belongs to the HX engine.
        Print("RegisterKvCache", cacheDesc.ToString(), LlmStatus.FeatureNotEnabled);
        return ValueTask.FromResult(new RegisterKvCacheResult(LlmStatus.FeatureNotEnabled, -1));
    }

    public ValueTask<LlmStatus> UnregisterKvCacheAsync(long cacheId, CancellationToken cancellationToken = default) =>
        Answer("UnregisterKvCache", cacheId.ToString(CultureInfo.InvariantCulture), LlmStatus.FeatureNotEnabled);

    public void Dispose() => Print("~LlmDataDist", "");

    // Pull and push need a link to the peer, as on the real library.
    private LlmStatus Linked(ulong peer) => _links.Contains(peer) ? LlmStatus.Success : LlmStatus.NotYetLink;

    private static string Ids(IReadOnlyList<ClusterInfo> clusters) => "clusters [" + string.Join(", ", clusters.Select(c => c.RemoteClusterId)) + "]";

    private ValueTask<LlmStatus> Answer(string method, string arguments, LlmStatus normal)
    {
        var status = _scripted.Remove(method, out var scripted) ? scripted : normal;
        Print(method, arguments, status);
        return ValueTask.FromResult(status);
    }

    private void Print(string method, string arguments, LlmStatus? status = null) =>
        Console.WriteLine($"  [{name}] {method}({arguments}){(status is { } s ? " -> " + (s.GetNativeName() ?? s.ToString()) : "")}");
}
