using static LlmDataDist.Tests.Support.Samples;

namespace LlmDataDist.Tests.Support;

/// <summary>One well-formed call of every client method that returns a status, keyed by its C++ operation name.</summary>
public static class ValidCalls
{
    public static readonly IReadOnlyDictionary<string, Func<LlmDataDistClient, CancellationToken, ValueTask>> ByOperation =
        new Dictionary<string, Func<LlmDataDistClient, CancellationToken, ValueTask>>(StringComparer.Ordinal)
        {
            ["Initialize"] = (c, ct) => c.InitializeAsync(Options(), ct),
            ["SetRole"] = (c, ct) => c.SetRoleAsync(LlmRole.Prompt, null, ct),
            ["LinkLlmClusters"] = async (c, ct) => await c.LinkLlmClustersAsync([Cluster()], cancellationToken: ct),
            ["UnlinkLlmClusters"] = async (c, ct) => await c.UnlinkLlmClustersAsync([Cluster()], cancellationToken: ct),
            ["AllocateCache"] = async (c, ct) => await c.AllocateCacheAsync(Desc(), ct),
            ["DeallocateCache"] = (c, ct) => c.DeallocateCacheAsync(1, ct),
            ["PullKvCache"] = (c, ct) => c.PullKvCacheAsync(Remote(), DeviceCache(), cancellationToken: ct),
            ["PullKvBlocks"] = (c, ct) => c.PullKvBlocksAsync(Remote(), DeviceCache(), [1], [2], cancellationToken: ct),
            ["CopyKvCache"] = (c, ct) => c.CopyKvCacheAsync(DeviceCache(1), DeviceCache(2), cancellationToken: ct),
            ["CopyKvBlocks"] = (c, ct) => c.CopyKvBlocksAsync(DeviceCache(1), DeviceCache(2), [1], [[2]], ct),
            ["PushKvCache"] = (c, ct) => c.PushKvCacheAsync(DeviceCache(), Remote(), cancellationToken: ct),
            ["PushKvBlocks"] = (c, ct) => c.PushKvBlocksAsync(DeviceCache(), Remote(), [1], [2], cancellationToken: ct),
            ["RegisterKvCache"] = async (c, ct) => await c.RegisterKvCacheAsync(Desc(1), [0x1000], new RegisterCfg(), ct),
            ["UnregisterKvCache"] = (c, ct) => c.UnregisterKvCacheAsync(1, ct),
        };

    public static TheoryData<string> Operations => [.. ByOperation.Keys];

    /// <summary>Operations plus Finalize (ShutdownAsync), which returns no status but is still a backend call.</summary>
    public static TheoryData<string> OperationsAndFinalize => [.. ByOperation.Keys, "Finalize"];

    public static ValueTask Invoke(LlmDataDistClient client, string operation, CancellationToken cancellationToken = default) =>
        operation == "Finalize" ? client.ShutdownAsync(cancellationToken) : ByOperation[operation](client, cancellationToken);
}
