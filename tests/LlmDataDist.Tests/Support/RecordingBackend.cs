namespace LlmDataDist.Tests.Support;

/// <summary>
/// A backend that does nothing but record each call and answer with a scripted status (success unless scripted) and
/// plausible out-values. Completes every call synchronously, so property tests can drive the client without blocking.
/// </summary>
public sealed class RecordingBackend : ILlmDataDistBackend
{
    // First address handed out by AllocateCache: non-zero and page-aligned like a real device address.
    public const ulong AddressBase = 0x1240_0000_0000;
    public const ulong TensorStride = 0x10_0000;

    private readonly object _gate = new();
    private readonly List<RecordedCall> _calls = [];
    private readonly Dictionary<string, Queue<LlmStatus>> _scripted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LlmStatus> _always = new(StringComparer.Ordinal);
    private long _nextCacheId = 1;

    public RecordingBackend(ulong clusterId = 1, LlmRole role = LlmRole.Decoder)
    {
        ClusterId = clusterId;
        Role = role;
    }

    public ulong ClusterId { get; }

    public LlmRole Role { get; }

    /// <summary>Every call so far, in order.</summary>
    public IReadOnlyList<RecordedCall> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    /// <summary>Runs inside every call after it is recorded (advance a fake clock, throw, ...).</summary>
    public Action<RecordedCall>? OnCall { get; set; }

    /// <summary>Per-cluster statuses for Link/Unlink; null gives one success per cluster.</summary>
    public Func<IReadOnlyList<ClusterInfo>, IReadOnlyList<LlmStatus>>? ClusterStatuses { get; set; }

    /// <summary>The cache id RegisterKvCache hands out next (AllocateCache shares the counter, as an engine would).</summary>
    public long NextCacheId
    {
        get => Interlocked.Read(ref _nextCacheId);
        set => Interlocked.Exchange(ref _nextCacheId, value);
    }

    /// <summary>The next call of <paramref name="method"/> returns <paramref name="status"/>; queued in order.</summary>
    public RecordingBackend Script(string method, params LlmStatus[] statuses)
    {
        lock (_gate)
        {
            if (!_scripted.TryGetValue(method, out var queue))
            {
                _scripted[method] = queue = new Queue<LlmStatus>();
            }

            foreach (var status in statuses)
            {
                queue.Enqueue(status);
            }
        }

        return this;
    }

    /// <summary>Every call of <paramref name="method"/> returns <paramref name="status"/> (after any queued ones).</summary>
    public RecordingBackend Always(string method, LlmStatus status)
    {
        lock (_gate)
        {
            _always[method] = status;
        }

        return this;
    }

    public IEnumerable<string> Methods => Calls.Select(c => c.Method);

    public RecordedCall Single(string method) => Assert.Single(Calls, c => c.Method == method);

    public ValueTask<LlmStatus> InitializeAsync(IReadOnlyDictionary<string, string> options, CancellationToken cancellationToken = default) =>
        new(Record("Initialize", cancellationToken, ("options", options)));

    public ValueTask ShutdownAsync(CancellationToken cancellationToken = default)
    {
        Record("Shutdown", cancellationToken);
        return ValueTask.CompletedTask;
    }

    public ValueTask<LlmStatus> SetRoleAsync(LlmRole role, IReadOnlyDictionary<string, string> options, CancellationToken cancellationToken = default) =>
        new(Record("SetRole", cancellationToken, ("role", role), ("options", options)));

    public ValueTask<LinkLlmClustersResult> LinkLlmClustersAsync(IReadOnlyList<ClusterInfo> clusters, int timeoutInMillis, CancellationToken cancellationToken = default)
    {
        var status = Record("LinkLlmClusters", cancellationToken, ("clusters", clusters), ("timeoutInMillis", timeoutInMillis));
        return new(new LinkLlmClustersResult(status, PerCluster(clusters)));
    }

    public ValueTask<UnlinkLlmClustersResult> UnlinkLlmClustersAsync(IReadOnlyList<ClusterInfo> clusters, int timeoutInMillis, bool forceFlag, CancellationToken cancellationToken = default)
    {
        var status = Record("UnlinkLlmClusters", cancellationToken, ("clusters", clusters), ("timeoutInMillis", timeoutInMillis), ("forceFlag", forceFlag));
        return new(new UnlinkLlmClustersResult(status, PerCluster(clusters)));
    }

    public ValueTask<AllocateCacheResult> AllocateCacheAsync(CacheDesc cacheDesc, CancellationToken cancellationToken = default)
    {
        var status = Record("AllocateCache", cancellationToken, ("cacheDesc", cacheDesc));
        if (status != LlmStatus.Success)
        {
            return new(new AllocateCacheResult(status, new Cache()));
        }

        var id = Interlocked.Increment(ref _nextCacheId) - 1;
        var addrs = new ulong[cacheDesc.NumTensors];
        for (var i = 0; i < addrs.Length; i++)
        {
            addrs[i] = AddressBase + ((ulong)id * 0x1_0000_0000) + ((ulong)i * TensorStride);
        }

        return new(new AllocateCacheResult(status, new Cache(id, addrs, cacheDesc)));
    }

    public ValueTask<LlmStatus> DeallocateCacheAsync(long cacheId, CancellationToken cancellationToken = default) =>
        new(Record("DeallocateCache", cancellationToken, ("cacheId", cacheId)));

    public ValueTask<LlmStatus> PullKvCacheAsync(CacheIndex srcCacheIndex, Cache dstCache, uint batchIndex, long size, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
        new(Record("PullKvCache", cancellationToken, ("srcCacheIndex", srcCacheIndex), ("dstCache", dstCache), ("batchIndex", batchIndex), ("size", size), ("extParam", extParam)));

    public ValueTask<LlmStatus> PullKvBlocksAsync(CacheIndex srcCacheIndex, Cache dstCache, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<ulong> dstBlocks, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
        new(Record("PullKvBlocks", cancellationToken, ("srcCacheIndex", srcCacheIndex), ("dstCache", dstCache), ("srcBlocks", srcBlocks), ("dstBlocks", dstBlocks), ("extParam", extParam)));

    public ValueTask<LlmStatus> CopyKvCacheAsync(Cache srcCache, Cache dstCache, uint srcBatchIndex, uint dstBatchIndex, ulong offset, long size, CancellationToken cancellationToken = default) =>
        new(Record("CopyKvCache", cancellationToken, ("srcCache", srcCache), ("dstCache", dstCache), ("srcBatchIndex", srcBatchIndex), ("dstBatchIndex", dstBatchIndex), ("offset", offset), ("size", size)));

    public ValueTask<LlmStatus> CopyKvBlocksAsync(Cache srcCache, Cache dstCache, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<IReadOnlyList<ulong>> dstBlocksList, CancellationToken cancellationToken = default) =>
        new(Record("CopyKvBlocks", cancellationToken, ("srcCache", srcCache), ("dstCache", dstCache), ("srcBlocks", srcBlocks), ("dstBlocksList", dstBlocksList)));

    public ValueTask<LlmStatus> PushKvCacheAsync(Cache srcCache, CacheIndex dstCacheIndex, uint srcBatchIndex, long size, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
        new(Record("PushKvCache", cancellationToken, ("srcCache", srcCache), ("dstCacheIndex", dstCacheIndex), ("srcBatchIndex", srcBatchIndex), ("size", size), ("extParam", extParam)));

    public ValueTask<LlmStatus> PushKvBlocksAsync(Cache srcCache, CacheIndex dstCacheIndex, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<ulong> dstBlocks, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
        new(Record("PushKvBlocks", cancellationToken, ("srcCache", srcCache), ("dstCacheIndex", dstCacheIndex), ("srcBlocks", srcBlocks), ("dstBlocks", dstBlocks), ("extParam", extParam)));

    public ValueTask<RegisterKvCacheResult> RegisterKvCacheAsync(CacheDesc cacheDesc, IReadOnlyList<ulong> addrs, RegisterCfg cfg, CancellationToken cancellationToken = default)
    {
        var status = Record("RegisterKvCache", cancellationToken, ("cacheDesc", cacheDesc), ("addrs", addrs), ("cfg", cfg));
        var id = status == LlmStatus.Success ? Interlocked.Increment(ref _nextCacheId) - 1 : -1;
        return new(new RegisterKvCacheResult(status, id));
    }

    public ValueTask<LlmStatus> UnregisterKvCacheAsync(long cacheId, CancellationToken cancellationToken = default) =>
        new(Record("UnregisterKvCache", cancellationToken, ("cacheId", cacheId)));

    public void Dispose() => Record("Dispose", CancellationToken.None);

    private LlmStatus Record(string method, CancellationToken cancellationToken, params (string Name, object? Value)[] arguments)
    {
        var call = new RecordedCall(method, arguments.ToDictionary(a => a.Name, a => a.Value, StringComparer.Ordinal), cancellationToken);
        LlmStatus status;
        lock (_gate)
        {
            _calls.Add(call);
            status = _scripted.TryGetValue(method, out var queue) && queue.Count > 0
                ? queue.Dequeue()
                : _always.GetValueOrDefault(method, LlmStatus.Success);
        }

        OnCall?.Invoke(call);
        return status;
    }

    private IReadOnlyList<LlmStatus> PerCluster(IReadOnlyList<ClusterInfo> clusters) =>
        ClusterStatuses?.Invoke(clusters) ?? [.. clusters.Select(_ => LlmStatus.Success)];
}

/// <summary>Creates <see cref="RecordingBackend"/>s and remembers them, so a test can reach the backend behind a client.</summary>
public sealed class RecordingBackendFactory : ILlmDataDistBackendFactory
{
    private readonly List<RecordingBackend> _created = [];

    public IReadOnlyList<RecordingBackend> Created => _created;

    public ILlmDataDistBackend Create(ulong clusterId, LlmRole role)
    {
        var backend = new RecordingBackend(clusterId, role);
        _created.Add(backend);
        return backend;
    }
}
