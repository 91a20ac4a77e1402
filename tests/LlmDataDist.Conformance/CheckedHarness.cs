namespace LlmDataDist.Conformance;

/// <summary>
/// Wraps a harness so that every backend it creates checks every status it returns against
/// <see cref="ReferenceStatuses"/>: each conformance scenario then also tests the invariant "every status a backend
/// returns is one the reference lists for that method".
/// </summary>
internal sealed class CheckedHarness(IConformanceHarness inner) : IConformanceHarness
{
    public ConformanceProfile Profile => inner.Profile;

    public TimeProvider TimeProvider => inner.TimeProvider;

    /// <summary>How many calls the checker saw, by method and status.</summary>
    public Dictionary<(string Method, LlmStatus Status), int> Seen { get; } = [];

    public ILlmDataDistBackend Create(ulong clusterId, LlmRole role, int server = 0) => new CheckedBackend(inner.Create(clusterId, role, server), this);

    public void Run(Func<Task> scenario) => inner.Run(scenario);

    public ulong AllocateDeviceMemory(int server, int deviceId, long bytes) => inner.AllocateDeviceMemory(server, deviceId, bytes);

    public ulong AllocateHostMemory(int server, long bytes) => inner.AllocateHostMemory(server, bytes);

    public void Write(ulong address, ReadOnlySpan<byte> bytes) => inner.Write(address, bytes);

    public byte[] Read(ulong address, long length) => inner.Read(address, length);

    public void Dispose() => inner.Dispose();

    internal LlmStatus Check(string method, LlmStatus status)
    {
        Assert.True(ReferenceStatuses.IsAllowed(Profile, method, status), $"{Profile} {method} returned {status}, which the reference does not list for it");
        Seen[(method, status)] = Seen.GetValueOrDefault((method, status)) + 1;
        return status;
    }

    internal void CheckClusters(string method, int clusters, LlmStatus status, IReadOnlyList<LlmStatus> rets)
    {
        ReferenceStatuses.AssertClusterCall(Profile, method, clusters, status, rets);
        Seen[(method, status)] = Seen.GetValueOrDefault((method, status)) + 1;
    }

    private sealed class CheckedBackend(ILlmDataDistBackend inner, CheckedHarness harness) : ILlmDataDistBackend
    {
        public ValueTask<LlmStatus> InitializeAsync(IReadOnlyDictionary<string, string> options, CancellationToken cancellationToken = default) =>
            Checked(inner.InitializeAsync(options, cancellationToken), s => harness.Check("Initialize", s));

        public ValueTask ShutdownAsync(CancellationToken cancellationToken = default) => inner.ShutdownAsync(cancellationToken);

        public ValueTask<LlmStatus> SetRoleAsync(LlmRole role, IReadOnlyDictionary<string, string> options, CancellationToken cancellationToken = default) =>
            Checked(inner.SetRoleAsync(role, options, cancellationToken), s => harness.Check("SetRole", s));

        public ValueTask<LinkLlmClustersResult> LinkLlmClustersAsync(IReadOnlyList<ClusterInfo> clusters, int timeoutInMillis, CancellationToken cancellationToken = default) =>
            Checked(inner.LinkLlmClustersAsync(clusters, timeoutInMillis, cancellationToken), r =>
            {
                harness.CheckClusters("LinkLlmClusters", clusters.Count, r.Status, r.Rets);
                return r;
            });

        public ValueTask<UnlinkLlmClustersResult> UnlinkLlmClustersAsync(IReadOnlyList<ClusterInfo> clusters, int timeoutInMillis, bool forceFlag, CancellationToken cancellationToken = default) =>
            Checked(inner.UnlinkLlmClustersAsync(clusters, timeoutInMillis, forceFlag, cancellationToken), r =>
            {
                harness.CheckClusters("UnlinkLlmClusters", clusters.Count, r.Status, r.Rets);
                return r;
            });

        public ValueTask<AllocateCacheResult> AllocateCacheAsync(CacheDesc cacheDesc, CancellationToken cancellationToken = default) =>
            Checked(inner.AllocateCacheAsync(cacheDesc, cancellationToken), r =>
            {
                harness.Check("AllocateCache", r.Status);
                return r;
            });

        public ValueTask<LlmStatus> DeallocateCacheAsync(long cacheId, CancellationToken cancellationToken = default) =>
            Checked(inner.DeallocateCacheAsync(cacheId, cancellationToken), s => harness.Check("DeallocateCache", s));

        public ValueTask<LlmStatus> PullKvCacheAsync(CacheIndex srcCacheIndex, Cache dstCache, uint batchIndex, long size, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
            Checked(inner.PullKvCacheAsync(srcCacheIndex, dstCache, batchIndex, size, extParam, cancellationToken), s => harness.Check("PullKvCache", s));

        public ValueTask<LlmStatus> PullKvBlocksAsync(CacheIndex srcCacheIndex, Cache dstCache, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<ulong> dstBlocks, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
            Checked(inner.PullKvBlocksAsync(srcCacheIndex, dstCache, srcBlocks, dstBlocks, extParam, cancellationToken), s => harness.Check("PullKvBlocks", s));

        public ValueTask<LlmStatus> CopyKvCacheAsync(Cache srcCache, Cache dstCache, uint srcBatchIndex, uint dstBatchIndex, ulong offset, long size, CancellationToken cancellationToken = default) =>
            Checked(inner.CopyKvCacheAsync(srcCache, dstCache, srcBatchIndex, dstBatchIndex, offset, size, cancellationToken), s => harness.Check("CopyKvCache", s));

        public ValueTask<LlmStatus> CopyKvBlocksAsync(Cache srcCache, Cache dstCache, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<IReadOnlyList<ulong>> dstBlocksList, CancellationToken cancellationToken = default) =>
            Checked(inner.CopyKvBlocksAsync(srcCache, dstCache, srcBlocks, dstBlocksList, cancellationToken), s => harness.Check("CopyKvBlocks", s));

        public ValueTask<LlmStatus> PushKvCacheAsync(Cache srcCache, CacheIndex dstCacheIndex, uint srcBatchIndex, long size, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
            Checked(inner.PushKvCacheAsync(srcCache, dstCacheIndex, srcBatchIndex, size, extParam, cancellationToken), s => harness.Check("PushKvCache", s));

        public ValueTask<LlmStatus> PushKvBlocksAsync(Cache srcCache, CacheIndex dstCacheIndex, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<ulong> dstBlocks, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
            Checked(inner.PushKvBlocksAsync(srcCache, dstCacheIndex, srcBlocks, dstBlocks, extParam, cancellationToken), s => harness.Check("PushKvBlocks", s));

        public ValueTask<RegisterKvCacheResult> RegisterKvCacheAsync(CacheDesc cacheDesc, IReadOnlyList<ulong> addrs, RegisterCfg cfg, CancellationToken cancellationToken = default) =>
            Checked(inner.RegisterKvCacheAsync(cacheDesc, addrs, cfg, cancellationToken), r =>
            {
                harness.Check("RegisterKvCache", r.Status);
                return r;
            });

        public ValueTask<LlmStatus> UnregisterKvCacheAsync(long cacheId, CancellationToken cancellationToken = default) =>
            Checked(inner.UnregisterKvCacheAsync(cacheId, cancellationToken), s => harness.Check("UnregisterKvCache", s));

        public void Dispose() => inner.Dispose();

        /// <summary>
        /// Checks a call's result without an async state machine of its own: a completed call is checked at once;
        /// otherwise the result is checked when the call completes and handed on with no synchronization context
        /// current, so callers that awaited with ConfigureAwait(false) (the typed client) resume inline as they
        /// would on the backend itself, rather than being queued elsewhere.
        /// </summary>
        private static ValueTask<T> Checked<T>(ValueTask<T> call, Func<T, T> check)
        {
            if (call.IsCompletedSuccessfully)
            {
                return ValueTask.FromResult(check(call.Result));
            }

            var done = new TaskCompletionSource<T>();
            var awaiter = call.GetAwaiter();
            awaiter.UnsafeOnCompleted(() =>
            {
                var saved = SynchronizationContext.Current;
                SynchronizationContext.SetSynchronizationContext(null);
                try
                {
                    done.SetResult(check(awaiter.GetResult()));
                }
                catch (Exception e)
                {
                    done.SetException(e);
                }
                finally
                {
                    SynchronizationContext.SetSynchronizationContext(saved);
                }
            });
            return new ValueTask<T>(done.Task);
        }
    }
}
