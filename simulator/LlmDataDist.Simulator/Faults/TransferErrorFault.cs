namespace LlmDataDist.Simulator;

/// <summary>Transfers (pulls and pushes) made by <paramref name="ClusterId"/> that complete during
/// <c>[FromNs, UntilNs)</c> fail with the runtime error <paramref name="Code"/> instead of writing their bytes, e.g.
/// 507053 <c>ACL_ERROR_RT_DEVICE_MEM_ERROR</c>, 507056 <c>ACL_ERROR_RT_LINK_ERROR</c>, 507057
/// <c>ACL_ERROR_RT_SUSPECT_REMOTE_ERROR</c> (reference §2). Status: HX returns the raw code unchanged (the typed client
/// throws the base <c>LlmDataDistException</c> with that number); CE's status filter turns it into <c>LLM_FAILED</c>.
/// Nothing is written and the link is unchanged (§6.2: a failed transfer does not change the record).</summary>
/// <param name="ClusterId">The transferring cluster.</param>
/// <param name="Code">The raw runtime code.</param>
/// <param name="FromNs">Window start.</param>
/// <param name="UntilNs">Window end (exclusive).</param>
public sealed record TransferErrorFault(ulong ClusterId, uint Code, long FromNs = 0, long UntilNs = long.MaxValue) : ScheduledFault
{
    /// <summary>The raw ACL runtime codes the reference names for HX transfers (§2), which chaos plans draw from.</summary>
    public static IReadOnlyList<uint> AclRuntimeCodes { get; } = [507053, 507056, 507057];
}
