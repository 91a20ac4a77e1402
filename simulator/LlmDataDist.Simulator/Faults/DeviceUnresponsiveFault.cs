namespace LlmDataDist.Simulator;

/// <summary>NPU <paramref name="Npu"/> never answers a request issued to it during <c>[FromNs, UntilNs)</c> (a hung
/// device function). The caller waits its whole budget. Statuses: CE Link and Unlink → every cluster and the call
/// <c>LLM_WAIT_PROC_TIMEOUT</c> (the host-side wait of §6.3/§6.4, records untouched); CE Allocate, Deallocate, SetRole
/// → <c>LLM_WAIT_PROC_TIMEOUT</c> after llm.SyncKvCacheWaitTime, nothing changed; a pull or push with this NPU at either
/// end → CE <c>LLM_WAIT_PROC_TIMEOUT</c>, HX <c>LLM_TIMEOUT</c>, and the link is faulted until rebuilt (§6.5).</summary>
/// <param name="Npu">NPU id.</param>
/// <param name="FromNs">Window start.</param>
/// <param name="UntilNs">Window end (exclusive).</param>
public sealed record DeviceUnresponsiveFault(int Npu, long FromNs = 0, long UntilNs = long.MaxValue) : ScheduledFault;
