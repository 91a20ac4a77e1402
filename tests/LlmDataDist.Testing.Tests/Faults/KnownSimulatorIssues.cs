namespace LlmDataDist.Testing.Tests.Faults;

/// <summary>
/// Simulator bugs these properties found, kept out of the generated mix until they are fixed. Each flag names the case
/// it excludes; <see cref="KnownSimulatorIssueTests"/> reproduces each one and fails once it is fixed, as a reminder
/// to set the flag to false (and so put the case back into the mix).
/// </summary>
internal static class KnownSimulatorIssues
{
    /// <summary>
    /// A multi-layer push gets a fresh llm.SyncKvCacheWaitTime budget for every layer (and, on HX, the cache-table
    /// sync's time comes on top): <c>TransferOverAsync</c> computes its deadline from the layer's own start. When a later
    /// layer's transfer is lost, the call returns its timeout status after (time of the earlier layers) + the budget, so
    /// it outlives its timeout. Reference §7 (llm.SyncKvCacheWaitTime bounds pull/push), §9.15 (layers pushed one at a
    /// time, one call), §12.10 (a call times out when its modelled completion exceeds its budget). While true, the
    /// workload pushes single layers only.
    /// </summary>
    public static readonly bool PushBudgetIsPerLayer = true;
}
