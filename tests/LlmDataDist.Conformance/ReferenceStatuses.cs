using S = LlmDataDist.LlmStatus;

namespace LlmDataDist.Conformance;

/// <summary>
/// The statuses the reference lists for each method and engine (its "Possible statuses" lines of §9.3–9.18, and
/// the validation orders where a section has no such line), overall and per cluster. A backend that returns
/// anything else breaks the invariant "every status a backend returns is one the reference lists for that method".
/// </summary>
public static class ReferenceStatuses
{
    private static readonly S[] CePull = [S.Success, S.Failed, S.ParamInvalid, S.KvCacheNotExist, S.NotYetLink, S.LinkBusy, S.WaitProcTimeout];
    private static readonly S[] HxTransfer = [S.Success, S.Failed, S.ParamInvalid, S.KvCacheNotExist, S.NotYetLink, S.Timeout];

    private static readonly Dictionary<(ConformanceProfile, string), S[]> Overall = new()
    {
        // §9.3: HX also OUT_OF_MEMORY for its undocumented memory pool option.
        [(ConformanceProfile.CE, "Initialize")] = [S.Success, S.ParamInvalid, S.Failed],
        [(ConformanceProfile.HX, "Initialize")] = [S.Success, S.ParamInvalid, S.Failed, S.OutOfMemory],
        // §9.5.
        [(ConformanceProfile.CE, "SetRole")] = [S.Success, S.Failed, S.ParamInvalid, S.FeatureNotEnabled, S.ExistLink, S.WaitProcTimeout],
        [(ConformanceProfile.HX, "SetRole")] = [S.Success, S.Failed, S.ParamInvalid, S.FeatureNotEnabled, S.ExistLink],
        // §9.6–9.7.
        [(ConformanceProfile.CE, "LinkLlmClusters")] = [S.Success, S.Failed, S.ParamInvalid, S.ProcessingLink, S.ClusterNumExceedLimit, S.LinkFailed, S.WaitProcTimeout],
        [(ConformanceProfile.HX, "LinkLlmClusters")] = [S.Success, S.Failed, S.ParamInvalid, S.LinkFailed, S.Timeout, S.AlreadyLink],
        [(ConformanceProfile.CE, "UnlinkLlmClusters")] = [S.Success, S.Failed, S.ParamInvalid, S.ProcessingLink, S.ClusterNumExceedLimit, S.UnlinkFailed, S.WaitProcTimeout],
        [(ConformanceProfile.HX, "UnlinkLlmClusters")] = [S.Success, S.Failed, S.ParamInvalid, S.UnlinkFailed, S.Timeout],
        // §9.8–9.9 (validation orders): HX lacks both.
        [(ConformanceProfile.CE, "AllocateCache")] = [S.Success, S.Failed, S.ParamInvalid, S.DeviceOutOfMemory, S.WaitProcTimeout],
        [(ConformanceProfile.HX, "AllocateCache")] = [S.FeatureNotEnabled],
        [(ConformanceProfile.CE, "DeallocateCache")] = [S.Success, S.Failed, S.KvCacheNotExist, S.WaitProcTimeout],
        [(ConformanceProfile.HX, "DeallocateCache")] = [S.FeatureNotEnabled],
        // §9.11–9.12.
        [(ConformanceProfile.CE, "PullKvCache")] = CePull,
        [(ConformanceProfile.HX, "PullKvCache")] = HxTransfer,
        [(ConformanceProfile.CE, "PullKvBlocks")] = CePull,
        [(ConformanceProfile.HX, "PullKvBlocks")] = HxTransfer,
        // §9.13–9.14 (validation orders): CopyKvBlocks may also run out of device staging memory (H2D).
        [(ConformanceProfile.CE, "CopyKvCache")] = [S.Success, S.Failed, S.ParamInvalid],
        [(ConformanceProfile.HX, "CopyKvCache")] = [S.FeatureNotEnabled],
        [(ConformanceProfile.CE, "CopyKvBlocks")] = [S.Success, S.Failed, S.ParamInvalid, S.DeviceOutOfMemory],
        [(ConformanceProfile.HX, "CopyKvBlocks")] = [S.FeatureNotEnabled],
        // §9.15–9.16.
        [(ConformanceProfile.CE, "PushKvCache")] = [.. CePull, S.FeatureNotEnabled],
        [(ConformanceProfile.HX, "PushKvCache")] = HxTransfer,
        [(ConformanceProfile.CE, "PushKvBlocks")] = [.. CePull, S.FeatureNotEnabled],
        [(ConformanceProfile.HX, "PushKvBlocks")] = HxTransfer,
        // §9.17–9.18 (validation orders): CE lacks both.
        [(ConformanceProfile.CE, "RegisterKvCache")] = [S.FeatureNotEnabled],
        [(ConformanceProfile.HX, "RegisterKvCache")] = [S.Success, S.Failed, S.ParamInvalid],
        [(ConformanceProfile.CE, "UnregisterKvCache")] = [S.FeatureNotEnabled],
        [(ConformanceProfile.HX, "UnregisterKvCache")] = [S.Success, S.Failed],
    };

    private static readonly Dictionary<(ConformanceProfile, string), S[]> PerCluster = new()
    {
        [(ConformanceProfile.CE, "LinkLlmClusters")] = [S.Success, S.AlreadyLink, S.RepeatRequest, S.ParamInvalid, S.LinkFailed, S.WaitProcTimeout, S.NotifyPromptUnlinkFailed, S.Failed],
        [(ConformanceProfile.HX, "LinkLlmClusters")] = [S.Success, S.ParamInvalid, S.LinkFailed, S.Timeout, S.AlreadyLink, S.Failed],
        [(ConformanceProfile.CE, "UnlinkLlmClusters")] = [S.Success, S.NotYetLink, S.ParamInvalid, S.LinkBusy, S.RepeatRequest, S.NotifyPromptUnlinkFailed, S.UnlinkFailed, S.WaitProcTimeout],
        [(ConformanceProfile.HX, "UnlinkLlmClusters")] = [S.Success, S.ParamInvalid, S.UnlinkFailed, S.Timeout, S.Failed],
    };

    /// <summary>The methods of the contract that return a status.</summary>
    public static IEnumerable<string> Methods => Overall.Keys.Select(k => k.Item2).Distinct();

    /// <summary>Whether the reference lists a status for a method's overall result on an engine.</summary>
    /// <param name="profile">The engine.</param>
    /// <param name="method">The C++ method name.</param>
    /// <param name="status">The status returned.</param>
    /// <returns>Whether it is listed; HX transfers may also return raw ACL runtime codes (§2).</returns>
    public static bool IsAllowed(ConformanceProfile profile, string method, S status) =>
        Overall[(profile, method)].Contains(status)
        || (profile == ConformanceProfile.HX && IsTransfer(method) && !status.IsKnown());

    /// <summary>Pull and push, whole caches or blocks.</summary>
    /// <param name="method">The C++ method name.</param>
    /// <returns>Whether it moves bytes between instances.</returns>
    public static bool IsTransfer(string method) => method is "PullKvCache" or "PullKvBlocks" or "PushKvCache" or "PushKvBlocks";

    /// <summary>Whether the reference lists a status for one cluster of a link or unlink call.</summary>
    /// <param name="profile">The engine.</param>
    /// <param name="method">LinkLlmClusters or UnlinkLlmClusters.</param>
    /// <param name="status">The per-cluster status.</param>
    /// <returns>Whether it is listed.</returns>
    public static bool IsAllowedPerCluster(ConformanceProfile profile, string method, S status) => PerCluster[(profile, method)].Contains(status);

    /// <summary>The statuses listed for a method.</summary>
    /// <param name="profile">The engine.</param>
    /// <param name="method">The C++ method name.</param>
    /// <returns>The list.</returns>
    public static IReadOnlyList<S> Listed(ConformanceProfile profile, string method) => Overall[(profile, method)];

    /// <summary>
    /// Asserts a link or unlink result against §6.3–6.4: allowed statuses, rets empty or one per cluster, and the
    /// overall status derived from rets (CE: rollback statuses ⇒ LINK_FAILED, anything but SUCCESS / NOT_YET_LINK ⇒
    /// UNLINK_FAILED; HX: the last failing cluster), a host-side CE timeout aside.
    /// </summary>
    /// <param name="profile">The engine.</param>
    /// <param name="method">LinkLlmClusters or UnlinkLlmClusters.</param>
    /// <param name="clusters">Clusters in the call.</param>
    /// <param name="status">Overall status.</param>
    /// <param name="rets">Per-cluster statuses.</param>
    public static void AssertClusterCall(ConformanceProfile profile, string method, int clusters, S status, IReadOnlyList<S> rets)
    {
        Assert.True(IsAllowed(profile, method, status), $"{profile} {method} returned {status}, which the reference does not list");
        Assert.True(rets.Count == 0 || rets.Count == clusters, $"{profile} {method}: {rets.Count} per-cluster results for {clusters} clusters");
        foreach (var ret in rets)
        {
            Assert.True(IsAllowedPerCluster(profile, method, ret), $"{profile} {method} gave a cluster {ret}, which the reference does not list per cluster");
        }

        if (rets.Count == 0)
        {
            return;
        }

        S expected;
        if (profile == ConformanceProfile.HX)
        {
            expected = rets.LastOrDefault(r => r != S.Success, S.Success);
        }
        else if (status == S.WaitProcTimeout)
        {
            return; // the host-side wait expired: every cluster's status is then the timeout too (§6.3 step 9)
        }
        else if (method == "LinkLlmClusters")
        {
            expected = rets.Any(r => r is S.LinkFailed or S.WaitProcTimeout or S.NotifyPromptUnlinkFailed) ? S.LinkFailed : S.Success;
        }
        else
        {
            expected = rets.All(r => r is S.Success or S.NotYetLink) ? S.Success : S.UnlinkFailed;
        }

        Assert.True(expected == status, $"{profile} {method}: overall {status} does not follow from [{string.Join(", ", rets)}] (expected {expected})");
    }
}
