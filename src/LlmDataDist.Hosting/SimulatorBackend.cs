using LlmDataDist.Simulator;
using LlmDataDist.Simulator.Backend;

namespace LlmDataDist.Hosting;

/// <summary>
/// The simulated deployment behind the <c>simulator</c> backend: one deterministic world (Atlas 800I A2 servers in
/// virtual time) shared by every instance of the process. The simulator runs its event loop synchronously on the
/// caller's thread; host code calls from many threads, so each call enters the world under one lock and runs there
/// to completion (virtual time advances as far as the call needs).
/// </summary>
public sealed class SimulatorBackend : IDisposable
{
    /// <summary>The name configuration selects the simulator by.</summary>
    public const string Name = "simulator";

    private readonly Lock _gate = new();

    /// <summary>Creates the world and its fabric.</summary>
    /// <param name="options">Seed, servers and engine.</param>
    public SimulatorBackend(SimulatorBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        World = new SimulatedWorld(options.Seed, Topology.A2(options.Servers));
        Fabric = new SimulatedFabric(World, options.Profile);
    }

    /// <summary>The world: memory, trace, virtual clock. Touch it only inside <see cref="Run{T}"/>.</summary>
    public SimulatedWorld World { get; }

    /// <summary>The fabric the instances live on.</summary>
    public SimulatedFabric Fabric { get; }

    /// <summary>A factory of instances on one server whose calls are safe from any thread.</summary>
    /// <param name="server">The server index.</param>
    /// <returns>The factory.</returns>
    public ILlmDataDistBackendFactory Factory(int server) => new LoopBoundFactory(this, Fabric.Factory(server));

    /// <summary>Runs code in the world (for example filling a simulated cache) under the same lock as the calls.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="action">The code; it may await simulated calls.</param>
    /// <returns>Its result.</returns>
    public T Run<T>(Func<Task<T>> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        lock (_gate)
        {
            return World.Run(action);
        }
    }

    /// <summary>Returns the world's pooled memory.</summary>
    public void Dispose() => World.Dispose();

    private sealed class LoopBoundFactory(SimulatorBackend owner, ILlmDataDistBackendFactory inner) : ILlmDataDistBackendFactory
    {
        public ILlmDataDistBackend Create(ulong clusterId, LlmRole role) =>
            new LoopBoundBackend(owner, owner.Run(() => Task.FromResult(inner.Create(clusterId, role))));
    }

    /// <summary>Enters the world for each call. Cancellation is checked before the call: a token of the real clock
    /// must not fire inside the virtual one.</summary>
    private sealed class LoopBoundBackend(SimulatorBackend owner, ILlmDataDistBackend inner) : ILlmDataDistBackend, ILlmFailureReasonSource
    {
        // The simulated call starts on the caller's thread inside Run, so it sees the client's call number itself.
        public string? TakeFailureReason(long call) => (inner as ILlmFailureReasonSource)?.TakeFailureReason(call);

        public ValueTask<LlmStatus> InitializeAsync(IReadOnlyDictionary<string, string> options, CancellationToken cancellationToken = default) =>
            Call(() => inner.InitializeAsync(options), cancellationToken);

        public ValueTask ShutdownAsync(CancellationToken cancellationToken = default)
        {
            owner.Run(async () =>
            {
                await inner.ShutdownAsync().ConfigureAwait(true);
                return true;
            });
            return ValueTask.CompletedTask;
        }

        public ValueTask<LlmStatus> SetRoleAsync(LlmRole role, IReadOnlyDictionary<string, string> options, CancellationToken cancellationToken = default) =>
            Call(() => inner.SetRoleAsync(role, options), cancellationToken);

        public ValueTask<LinkLlmClustersResult> LinkLlmClustersAsync(IReadOnlyList<ClusterInfo> clusters, int timeoutInMillis, CancellationToken cancellationToken = default) =>
            Call(() => inner.LinkLlmClustersAsync(clusters, timeoutInMillis), cancellationToken);

        public ValueTask<UnlinkLlmClustersResult> UnlinkLlmClustersAsync(IReadOnlyList<ClusterInfo> clusters, int timeoutInMillis, bool forceFlag, CancellationToken cancellationToken = default) =>
            Call(() => inner.UnlinkLlmClustersAsync(clusters, timeoutInMillis, forceFlag), cancellationToken);

        public ValueTask<AllocateCacheResult> AllocateCacheAsync(CacheDesc cacheDesc, CancellationToken cancellationToken = default) =>
            Call(() => inner.AllocateCacheAsync(cacheDesc), cancellationToken);

        public ValueTask<LlmStatus> DeallocateCacheAsync(long cacheId, CancellationToken cancellationToken = default) =>
            Call(() => inner.DeallocateCacheAsync(cacheId), cancellationToken);

        public ValueTask<LlmStatus> PullKvCacheAsync(CacheIndex srcCacheIndex, Cache dstCache, uint batchIndex, long size, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
            Call(() => inner.PullKvCacheAsync(srcCacheIndex, dstCache, batchIndex, size, extParam), cancellationToken);

        public ValueTask<LlmStatus> PullKvBlocksAsync(CacheIndex srcCacheIndex, Cache dstCache, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<ulong> dstBlocks, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
            Call(() => inner.PullKvBlocksAsync(srcCacheIndex, dstCache, srcBlocks, dstBlocks, extParam), cancellationToken);

        public ValueTask<LlmStatus> CopyKvCacheAsync(Cache srcCache, Cache dstCache, uint srcBatchIndex, uint dstBatchIndex, ulong offset, long size, CancellationToken cancellationToken = default) =>
            Call(() => inner.CopyKvCacheAsync(srcCache, dstCache, srcBatchIndex, dstBatchIndex, offset, size), cancellationToken);

        public ValueTask<LlmStatus> CopyKvBlocksAsync(Cache srcCache, Cache dstCache, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<IReadOnlyList<ulong>> dstBlocksList, CancellationToken cancellationToken = default) =>
            Call(() => inner.CopyKvBlocksAsync(srcCache, dstCache, srcBlocks, dstBlocksList), cancellationToken);

        public ValueTask<LlmStatus> PushKvCacheAsync(Cache srcCache, CacheIndex dstCacheIndex, uint srcBatchIndex, long size, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
            Call(() => inner.PushKvCacheAsync(srcCache, dstCacheIndex, srcBatchIndex, size, extParam), cancellationToken);

        public ValueTask<LlmStatus> PushKvBlocksAsync(Cache srcCache, CacheIndex dstCacheIndex, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<ulong> dstBlocks, KvCacheExtParam extParam, CancellationToken cancellationToken = default) =>
            Call(() => inner.PushKvBlocksAsync(srcCache, dstCacheIndex, srcBlocks, dstBlocks, extParam), cancellationToken);

        public ValueTask<RegisterKvCacheResult> RegisterKvCacheAsync(CacheDesc cacheDesc, IReadOnlyList<ulong> addrs, RegisterCfg cfg, CancellationToken cancellationToken = default) =>
            Call(() => inner.RegisterKvCacheAsync(cacheDesc, addrs, cfg), cancellationToken);

        public ValueTask<LlmStatus> UnregisterKvCacheAsync(long cacheId, CancellationToken cancellationToken = default) =>
            Call(() => inner.UnregisterKvCacheAsync(cacheId), cancellationToken);

        public void Dispose() => owner.Run(() =>
        {
            inner.Dispose();
            return Task.FromResult(true);
        });

        private ValueTask<T> Call<T>(Func<ValueTask<T>> call, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return new(owner.Run(async () => await call().ConfigureAwait(true)));
        }
    }
}
