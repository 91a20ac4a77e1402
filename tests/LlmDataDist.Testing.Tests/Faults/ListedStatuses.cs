using LlmDataDist.Simulator.Semantics;
using S = LlmDataDist.LlmStatus;

namespace LlmDataDist.Testing.Tests.Faults;

/// <summary>
/// The statuses the reference lists for each call the fault workload makes, per engine: its "Possible statuses" lines
/// (§9.3, §9.6, §9.7, §9.11, §9.12, §9.15, §9.16), and the validation order where a section has none (§9.8
/// AllocateCache, §9.17 RegisterKvCache). Written from the reference, not from the simulator's or the conformance
/// suite's code.
/// </summary>
internal static class ListedStatuses
{
    private static readonly S[] CePull = [S.Success, S.Failed, S.ParamInvalid, S.KvCacheNotExist, S.NotYetLink, S.LinkBusy, S.WaitProcTimeout];
    private static readonly S[] CePush = [S.Success, S.Failed, S.ParamInvalid, S.FeatureNotEnabled, S.KvCacheNotExist, S.NotYetLink, S.LinkBusy, S.WaitProcTimeout];
    private static readonly S[] HxTransfer = [S.Success, S.Failed, S.ParamInvalid, S.KvCacheNotExist, S.NotYetLink, S.Timeout];

    private static readonly Dictionary<(EngineProfile, string), S[]> Overall = new()
    {
        [(EngineProfile.CE, "Initialize")] = [S.Success, S.ParamInvalid, S.Failed],
        [(EngineProfile.HX, "Initialize")] = [S.Success, S.ParamInvalid, S.Failed, S.OutOfMemory],
        [(EngineProfile.CE, "LinkLlmClusters")] = [S.Success, S.Failed, S.ParamInvalid, S.ProcessingLink, S.ClusterNumExceedLimit, S.LinkFailed, S.WaitProcTimeout],
        [(EngineProfile.HX, "LinkLlmClusters")] = [S.Success, S.Failed, S.ParamInvalid, S.LinkFailed, S.Timeout, S.AlreadyLink],
        [(EngineProfile.CE, "UnlinkLlmClusters")] = [S.Success, S.Failed, S.ParamInvalid, S.ProcessingLink, S.ClusterNumExceedLimit, S.UnlinkFailed, S.WaitProcTimeout],
        [(EngineProfile.HX, "UnlinkLlmClusters")] = [S.Success, S.Failed, S.ParamInvalid, S.UnlinkFailed, S.Timeout],
        [(EngineProfile.CE, "AllocateCache")] = [S.Success, S.Failed, S.ParamInvalid, S.DeviceOutOfMemory, S.WaitProcTimeout],
        [(EngineProfile.HX, "RegisterKvCache")] = [S.Success, S.Failed, S.ParamInvalid],
        [(EngineProfile.CE, "PullKvCache")] = CePull,
        [(EngineProfile.CE, "PullKvBlocks")] = CePull,
        [(EngineProfile.CE, "PushKvCache")] = CePush,
        [(EngineProfile.CE, "PushKvBlocks")] = CePush,
        [(EngineProfile.HX, "PullKvCache")] = HxTransfer,
        [(EngineProfile.HX, "PullKvBlocks")] = HxTransfer,
        [(EngineProfile.HX, "PushKvCache")] = HxTransfer,
        [(EngineProfile.HX, "PushKvBlocks")] = HxTransfer,
    };

    private static readonly Dictionary<(EngineProfile, string), S[]> PerCluster = new()
    {
        [(EngineProfile.CE, "LinkLlmClusters")] = [S.Success, S.AlreadyLink, S.RepeatRequest, S.ParamInvalid, S.LinkFailed, S.WaitProcTimeout, S.NotifyPromptUnlinkFailed, S.Failed],
        [(EngineProfile.HX, "LinkLlmClusters")] = [S.Success, S.ParamInvalid, S.LinkFailed, S.Timeout, S.AlreadyLink, S.Failed],
        // FAILED: the instance itself crashed or finalized during the call (§5.1; docs/simulator-backend.md).
        [(EngineProfile.CE, "UnlinkLlmClusters")] = [S.Success, S.NotYetLink, S.ParamInvalid, S.LinkBusy, S.RepeatRequest, S.NotifyPromptUnlinkFailed, S.UnlinkFailed, S.WaitProcTimeout, S.Failed],
        [(EngineProfile.HX, "UnlinkLlmClusters")] = [S.Success, S.ParamInvalid, S.UnlinkFailed, S.Timeout, S.Failed],
    };

    /// <summary>Whether the reference lists <paramref name="status"/> for the call; HX transfers may also return raw ACL
    /// runtime codes (reference §2, §9.11), which are the codes the header does not name.</summary>
    public static bool IsListed(EngineProfile profile, string method, S status) =>
        Overall[(profile, method)].Contains(status) || (profile == EngineProfile.HX && method.Contains("Kv", StringComparison.Ordinal)
            && method != "RegisterKvCache" && !status.IsKnown());

    /// <summary>Whether the reference lists a per-cluster status of a link or unlink.</summary>
    public static bool IsListedPerCluster(EngineProfile profile, string method, S status) => PerCluster[(profile, method)].Contains(status);
}
