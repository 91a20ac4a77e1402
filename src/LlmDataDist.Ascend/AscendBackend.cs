using LlmDataDist.Ascend.Interop;
using static LlmDataDist.Ascend.Interop.NativeMarshal;

namespace LlmDataDist.Ascend;

/// <summary>
/// <see cref="ILlmDataDistBackend"/> over the native LLM-DataDist engine (CANN's <c>libllm_engine.so</c>, or the fake
/// engine in CI) through the generated C shim. Create it with <see cref="AscendBackendFactory"/>.
/// </summary>
/// <remarks>
/// <para>Each call is marshalled into native memory on the caller's thread, then made on one of the factory's
/// dedicated worker threads; the returned task completes there and continues on the thread pool. No thread-pool
/// thread ever blocks on a native call. The returned <see cref="ValueTask{TResult}"/>s are backed by pooled objects:
/// await each once, or call <c>AsTask()</c> first to await it more than once.</para>
/// <para><b>Cancellation</b> stops the wait, never the native call: the call runs to its end (bounded by its own
/// timeout) and what it did stays done; the task is cancelled as soon as the token fires. A call whose token is
/// already cancelled is not made at all.</para>
/// <para><b>Lifetime</b>: <see cref="Dispose"/> is the C++ destructor (it finalizes an initialized instance). It
/// waits for nothing: calls already running keep the native instance alive and the destructor runs when the last
/// returns. A call made after Dispose throws <see cref="ObjectDisposedException"/>.</para>
/// <para>Statuses come back as values, never as exceptions. Exceptions are for programming errors: a null argument
/// (<see cref="ArgumentNullException"/>), use after Dispose, or a shim that broke its own contract.</para>
/// </remarks>
public sealed unsafe class AscendBackend : ILlmDataDistBackend
{
    private readonly NativeInstanceHandle _handle;
    private readonly NativeWorkerPool _pool;
    private int _deviceCount = 1;

    internal AscendBackend(NativeInstanceHandle handle, NativeWorkerPool pool, ulong clusterId, LlmRole role)
    {
        _handle = handle;
        _pool = pool;
        ClusterId = clusterId;
        Role = role;
    }

    /// <summary>The cluster id given to the constructor.</summary>
    public ulong ClusterId { get; }

    /// <summary>The role given to the constructor.</summary>
    public LlmRole Role { get; }

    /// <inheritdoc/>
    public ValueTask<LlmStatus> InitializeAsync(IReadOnlyDictionary<string, string> options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        // CE may run one instance over several devices ("0;1"): AllocateCache then returns addresses for each.
        if (options.TryGetValue(LlmOptionKeys.DeviceId, out var devices))
        {
            Volatile.Write(ref _deviceCount, Math.Max(1, devices.Split(';').Length));
        }

        return Submit(options, static (arena, o) => ((nint)Options(arena, o, out var length), length),
            static (h, s) => (LlmStatus)NativeMethods.Initialize(h, (NativeOption*)s.Item1, s.length), cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask ShutdownAsync(CancellationToken cancellationToken = default) =>
        new(Submit(0, static (_, _) => 0, static (h, _) => NativeMethods.Finalize(h), cancellationToken).AsTask());

    /// <inheritdoc/>
    public ValueTask<LlmStatus> SetRoleAsync(LlmRole role, IReadOnlyDictionary<string, string> options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Submit((role, options), static (arena, a) => ((int)a.role, (nint)Options(arena, a.options, out var length), length),
            static (h, s) => (LlmStatus)NativeMethods.SetRole(h, s.Item1, (NativeOption*)s.Item2, s.length), cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<LinkLlmClustersResult> LinkLlmClustersAsync(IReadOnlyList<ClusterInfo> clusters, int timeoutInMillis, CancellationToken cancellationToken = default) =>
        Submit((clusters, timeoutInMillis), static (arena, a) => ClusterCall.Marshal(arena, a.clusters, a.timeoutInMillis, force: false),
            static (h, c) => new LinkLlmClustersResult(c.Run(h, link: true, out var rets), rets), cancellationToken);

    /// <inheritdoc/>
    public ValueTask<UnlinkLlmClustersResult> UnlinkLlmClustersAsync(IReadOnlyList<ClusterInfo> clusters, int timeoutInMillis, bool forceFlag, CancellationToken cancellationToken = default) =>
        Submit((clusters, timeoutInMillis, forceFlag), static (arena, a) => ClusterCall.Marshal(arena, a.clusters, a.timeoutInMillis, a.forceFlag),
            static (h, c) => new UnlinkLlmClustersResult(c.Run(h, link: false, out var rets), rets), cancellationToken);

    /// <inheritdoc/>
    public ValueTask<AllocateCacheResult> AllocateCacheAsync(CacheDesc cacheDesc, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cacheDesc);
        var capacity = Math.Min((long)cacheDesc.NumTensors * Volatile.Read(ref _deviceCount), (long)NativeMethods.MaxVectorLen);
        return Submit((cacheDesc, capacity), static (arena, a) => new AllocateCall(
                a.cacheDesc, CacheDesc(arena, a.cacheDesc), arena.Alloc<long>(1), arena.Alloc<ulong>(a.capacity), (ulong)a.capacity, arena.Alloc<ulong>(1)),
            static (h, c) => c.Run(h), cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<LlmStatus> DeallocateCacheAsync(long cacheId, CancellationToken cancellationToken = default) =>
        Submit(cacheId, static (_, id) => id, static (h, id) => (LlmStatus)NativeMethods.DeallocateCache(h, id), cancellationToken);

    /// <inheritdoc/>
    public ValueTask<LlmStatus> PullKvCacheAsync(CacheIndex srcCacheIndex, Cache dstCache, uint batchIndex, long size, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
        Submit((srcCacheIndex, dstCache, batchIndex, size, extParam),
            static (arena, a) => ((nint)CacheIndex(arena, a.srcCacheIndex), (nint)Cache(arena, a.dstCache), a.batchIndex, a.size, (nint)ExtParam(arena, a.extParam)),
            static (h, s) => (LlmStatus)NativeMethods.PullKvCache(h, (NativeCacheIndex*)s.Item1, (NativeCache*)s.Item2, s.batchIndex, s.size, (NativeKvCacheExtParam*)s.Item5),
            cancellationToken);

    /// <inheritdoc/>
    public ValueTask<LlmStatus> PullKvBlocksAsync(CacheIndex srcCacheIndex, Cache dstCache, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<ulong> dstBlocks, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
        Submit((srcCacheIndex, dstCache, srcBlocks, dstBlocks, extParam),
            static (arena, a) => new TransferBlocksCall(CacheIndex(arena, a.srcCacheIndex), Cache(arena, a.dstCache), new BlockList(arena, a.srcBlocks), new BlockList(arena, a.dstBlocks), ExtParam(arena, a.extParam)),
            static (h, c) => (LlmStatus)NativeMethods.PullKvBlocks(h, c.Remote, c.Local, c.Src.Blocks, c.Src.Count, c.Dst.Blocks, c.Dst.Count, c.Ext),
            cancellationToken);

    /// <inheritdoc/>
    public ValueTask<LlmStatus> CopyKvCacheAsync(Cache srcCache, Cache dstCache, uint srcBatchIndex, uint dstBatchIndex, ulong offset, long size, CancellationToken cancellationToken = default) =>
        Submit((srcCache, dstCache, srcBatchIndex, dstBatchIndex, offset, size),
            static (arena, a) => ((nint)Cache(arena, a.srcCache), (nint)Cache(arena, a.dstCache), a.srcBatchIndex, a.dstBatchIndex, a.offset, a.size),
            static (h, s) => (LlmStatus)NativeMethods.CopyKvCache(h, (NativeCache*)s.Item1, (NativeCache*)s.Item2, s.srcBatchIndex, s.dstBatchIndex, s.offset, s.size),
            cancellationToken);

    /// <inheritdoc/>
    public ValueTask<LlmStatus> CopyKvBlocksAsync(Cache srcCache, Cache dstCache, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<IReadOnlyList<ulong>> dstBlocksList, CancellationToken cancellationToken = default) =>
        Submit((srcCache, dstCache, srcBlocks, dstBlocksList),
            static (arena, a) => new CopyBlocksCall(Cache(arena, a.srcCache), Cache(arena, a.dstCache), new BlockList(arena, a.srcBlocks), U64Lists(arena, a.dstBlocksList), (ulong)a.dstBlocksList.Count),
            static (h, c) => (LlmStatus)NativeMethods.CopyKvBlocks(h, c.SrcCache, c.DstCache, c.Src.Blocks, c.Src.Count, c.DstLists, c.DstListCount),
            cancellationToken);

    /// <inheritdoc/>
    public ValueTask<LlmStatus> PushKvCacheAsync(Cache srcCache, CacheIndex dstCacheIndex, uint srcBatchIndex, long size, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
        Submit((srcCache, dstCacheIndex, srcBatchIndex, size, extParam),
            static (arena, a) => ((nint)Cache(arena, a.srcCache), (nint)CacheIndex(arena, a.dstCacheIndex), a.srcBatchIndex, a.size, (nint)ExtParam(arena, a.extParam)),
            static (h, s) => (LlmStatus)NativeMethods.PushKvCache(h, (NativeCache*)s.Item1, (NativeCacheIndex*)s.Item2, s.srcBatchIndex, s.size, (NativeKvCacheExtParam*)s.Item5),
            cancellationToken);

    /// <inheritdoc/>
    public ValueTask<LlmStatus> PushKvBlocksAsync(Cache srcCache, CacheIndex dstCacheIndex, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<ulong> dstBlocks, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
        Submit((srcCache, dstCacheIndex, srcBlocks, dstBlocks, extParam),
            static (arena, a) => new TransferBlocksCall(CacheIndex(arena, a.dstCacheIndex), Cache(arena, a.srcCache), new BlockList(arena, a.srcBlocks), new BlockList(arena, a.dstBlocks), ExtParam(arena, a.extParam)),
            static (h, c) => (LlmStatus)NativeMethods.PushKvBlocks(h, c.Local, c.Remote, c.Src.Blocks, c.Src.Count, c.Dst.Blocks, c.Dst.Count, c.Ext),
            cancellationToken);

    /// <inheritdoc/>
    public ValueTask<RegisterKvCacheResult> RegisterKvCacheAsync(CacheDesc cacheDesc, IReadOnlyList<ulong> addrs, RegisterCfg cfg, CancellationToken cancellationToken = default) =>
        Submit((cacheDesc, addrs, cfg),
            static (arena, a) => ((nint)CacheDesc(arena, a.cacheDesc), (nint)U64(arena, a.addrs), (ulong)a.addrs.Count, (nint)RegisterCfg(arena, a.cfg), (nint)arena.Alloc<long>(1)),
            static (h, s) =>
            {
                var cacheId = (long*)s.Item5;
                var status = (LlmStatus)NativeMethods.RegisterKvCache(h, (NativeCacheDesc*)s.Item1, (ulong*)s.Item2, s.Item3, (NativeRegisterCfg*)s.Item4, cacheId);
                return new RegisterKvCacheResult(status, status == LlmStatus.Success ? *cacheId : 0);
            },
            cancellationToken);

    /// <inheritdoc/>
    public ValueTask<LlmStatus> UnregisterKvCacheAsync(long cacheId, CancellationToken cancellationToken = default) =>
        Submit(cacheId, static (_, id) => id, static (h, id) => (LlmStatus)NativeMethods.UnregisterKvCache(h, id), cancellationToken);

    /// <summary>The C++ destructor: finalizes the instance if it is still initialized, once the last call in flight
    /// has returned. Calls made afterwards throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => _handle.Dispose();

    /// <summary>
    /// Accepts a call: takes a reference on the handle (throws <see cref="ObjectDisposedException"/> after Dispose),
    /// marshals the arguments into a pooled arena on this thread, and queues the call for a worker, which makes it
    /// and then releases both.
    /// </summary>
    private ValueTask<TResult> Submit<TArgs, TState, TResult>(TArgs args, Func<NativeArena, TArgs, TState> marshal, Func<NativeInstanceHandle, TState, TResult> call, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<TResult>(cancellationToken);
        }

        var added = false;
        _handle.DangerousAddRef(ref added);
        var arena = NativeArena.Rent();
        TState state;
        try
        {
            state = marshal(arena, args);
        }
        catch
        {
            arena.Dispose();
            _handle.DangerousRelease();
            throw;
        }

        var work = NativeCall<TState, TResult>.Rent(_handle, arena, state, call, cancellationToken);
        var completion = work.Completion;
        if (!_pool.TryPost(work))
        {
            var disposed = new ObjectDisposedException(nameof(AscendBackendFactory), "The factory that created this backend was disposed; its worker threads are gone.");
            work.Abandon(disposed);
            throw disposed;
        }

        return completion;
    }

    /// <summary>Link and unlink: the clusters, and the caller-allocated per-cluster statuses (capacity = cluster count).</summary>
    private readonly struct ClusterCall(NativeClusterInfo* clusters, ulong count, uint* rets, ulong* retsLength, int timeoutInMillis, bool force)
    {
        public static ClusterCall Marshal(NativeArena arena, IReadOnlyList<ClusterInfo> clusters, int timeoutInMillis, bool force) =>
            new(Clusters(arena, clusters), (ulong)clusters.Count, arena.Alloc<uint>(clusters.Count), arena.Alloc<ulong>(1), timeoutInMillis, force);

        public LlmStatus Run(NativeInstanceHandle handle, bool link, out IReadOnlyList<LlmStatus> statuses)
        {
            var status = link
                ? NativeMethods.LinkLlmClusters(handle, clusters, count, rets, count, retsLength, timeoutInMillis)
                : NativeMethods.UnlinkLlmClusters(handle, clusters, count, rets, count, retsLength, timeoutInMillis, force ? (byte)1 : (byte)0);
            // The shim writes min(capacity, size) entries; an engine that answered for more clusters than it was given
            // broke its contract, and the extra statuses have no cluster to pair with.
            var written = (int)Math.Min(*retsLength, count);
            var result = new LlmStatus[written];
            for (var i = 0; i < written; i++)
            {
                result[i] = (LlmStatus)rets[i];
            }

            statuses = result;
            return (LlmStatus)status;
        }
    }

    /// <summary>AllocateCache: the description (returned as given), the out id and the caller-allocated addresses.</summary>
    private readonly struct AllocateCall(CacheDesc desc, NativeCacheDesc* nativeDesc, long* cacheId, ulong* addrs, ulong capacity, ulong* addrsLength)
    {
        public AllocateCacheResult Run(NativeInstanceHandle handle)
        {
            var status = (LlmStatus)NativeMethods.AllocateCache(handle, nativeDesc, cacheId, addrs, capacity, addrsLength);
            if (status != LlmStatus.Success)
            {
                return new AllocateCacheResult(status, new Cache());
            }

            if (*addrsLength > capacity)
            {
                // The cache exists but some of its addresses were not returned: the caller could never use them all.
                throw new InvalidOperationException($"AllocateCache returned {*addrsLength} tensor addresses for {desc.NumTensors} tensors; at most {capacity} were expected.");
            }

            return new AllocateCacheResult(status, new Cache(*cacheId, new ReadOnlySpan<ulong>(addrs, (int)*addrsLength).ToArray(), desc));
        }
    }

    /// <summary>A block list in the arena: the values and how many.</summary>
    private readonly struct BlockList(NativeArena arena, IReadOnlyList<ulong> blocks)
    {
        public readonly ulong* Blocks = U64(arena, blocks);

        public readonly ulong Count = (ulong)blocks.Count;
    }

    /// <summary>PullKvBlocks and PushKvBlocks: the remote cache's index (the source of a pull, the destination of a
    /// push), the local cache (the other end), the source and destination block lists, the layer selection.</summary>
    private readonly struct TransferBlocksCall(NativeCacheIndex* remote, NativeCache* local, BlockList src, BlockList dst, NativeKvCacheExtParam* ext)
    {
        public readonly NativeCacheIndex* Remote = remote;

        public readonly NativeCache* Local = local;

        public readonly BlockList Src = src;

        public readonly BlockList Dst = dst;

        public readonly NativeKvCacheExtParam* Ext = ext;
    }

    /// <summary>CopyKvBlocks, within one instance: the two caches, the source blocks, and one destination block list
    /// per copy of them.</summary>
    private readonly struct CopyBlocksCall(NativeCache* srcCache, NativeCache* dstCache, BlockList src, NativeU64Span* dstLists, ulong dstListCount)
    {
        public readonly NativeCache* SrcCache = srcCache;

        public readonly NativeCache* DstCache = dstCache;

        public readonly BlockList Src = src;

        public readonly NativeU64Span* DstLists = dstLists;

        public readonly ulong DstListCount = dstListCount;
    }
}
