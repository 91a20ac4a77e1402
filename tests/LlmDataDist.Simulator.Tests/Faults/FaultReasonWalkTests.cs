using LlmDataDist.Simulator.Semantics;
using static LlmDataDist.Samples.Simulated.SimulatedKit;
using static LlmDataDist.Simulator.Tests.Faults.FaultScenario;

namespace LlmDataDist.Simulator.Tests.Faults;

/// <summary>
/// Every failure status a fault or a race produces reaches the typed client with the rule it broke and the values
/// involved (cluster ids, the llm.SyncKvCacheWaitTime budget, the call's timeout), not only the status summary: one
/// case per status and engine, driven by the fault kinds of the simulator on the conformance set-up.
/// </summary>
public sealed class FaultReasonWalkTests
{
    private const long Ms = SimTime.NsPerMs;

    /// <summary>After the set-up (link, warm-up pull), every fault window below opens here.</summary>
    private const long T0 = 1000 * Ms;

    private sealed record Case(EngineProfile Profile, FaultPlan Plan, bool Link, LlmStatus Status, string Reason, Func<FaultScenario, LlmDataDistClient, Task> Call)
    {
        /// <summary>Whether the set-up pulls once first (HX then has the peer's cache table).</summary>
        public bool WarmUp { get; init; } = true;
    }

    private static Task PullAsync(FaultScenario s, LlmDataDistClient decoder) =>
        decoder.PullKvCacheAsync(new CacheIndex(PromptId, s.Source.CacheId, 2), s.Destination, 5).AsTask();

    private static Task LinkAsync(LlmDataDistClient decoder) => decoder.LinkLlmClustersAsync([DecoderToPrompt], TimeSpan.FromMilliseconds(LinkTimeoutMs)).AsTask();

    private static Task UnlinkAsync(LlmDataDistClient decoder, bool force) => decoder.UnlinkLlmClustersAsync([DecoderToPrompt], TimeSpan.FromMilliseconds(LinkTimeoutMs), force).AsTask();

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["CE pull over a downed link: WAIT_PROC_TIMEOUT"] = new(EngineProfile.CE, FaultPlan.Scripted(new LinkDownFault($"npu{DecoderNpu}.roce.rx", T0)), true,
            LlmStatus.WaitProcTimeout, $"the link to cluster {PromptId} is broken (the transfer ended TimedOut); the engine waited llm.SyncKvCacheWaitTime {SyncWaitMs} ms", PullAsync),
        ["HX pull over a downed link: TIMEOUT"] = new(EngineProfile.HX, FaultPlan.Scripted(new LinkDownFault($"npu{DecoderNpu}.roce.rx", T0)), true,
            LlmStatus.Timeout, $"the link to cluster {PromptId} is broken (the transfer ended TimedOut); the engine waited llm.SyncKvCacheWaitTime {SyncWaitMs} ms", PullAsync),
        ["HX first pull cannot read the peer's cache table: TIMEOUT"] = new(EngineProfile.HX, FaultPlan.Scripted(new LinkDownFault($"npu{DecoderNpu}.roce.rx", T0)), true,
            LlmStatus.Timeout, $"reading cluster {PromptId}'s cache table failed (TimedOut) within llm.SyncKvCacheWaitTime {SyncWaitMs} ms", PullAsync) { WarmUp = false },
        ["CE pull while a device is silent: WAIT_PROC_TIMEOUT"] = new(EngineProfile.CE, FaultPlan.Scripted(new DeviceUnresponsiveFault(PromptNpu, T0)), true,
            LlmStatus.WaitProcTimeout, "a device did not answer (fault plan)", PullAsync),
        ["HX pull while a device is silent: TIMEOUT"] = new(EngineProfile.HX, FaultPlan.Scripted(new DeviceUnresponsiveFault(PromptNpu, T0)), true,
            LlmStatus.Timeout, "a device did not answer (fault plan)", PullAsync),
        ["CE link with a silent device: WAIT_PROC_TIMEOUT"] = new(EngineProfile.CE, FaultPlan.Scripted(new DeviceUnresponsiveFault(DecoderNpu, T0)), false,
            LlmStatus.WaitProcTimeout, $"the device of instance {DecoderId} did not answer the request within {LinkTimeoutMs} ms", (_, d) => LinkAsync(d)),
        ["CE transfer runtime error: FAILED"] = new(EngineProfile.CE, FaultPlan.Scripted(new TransferErrorFault(DecoderId, 507053, T0)), true,
            LlmStatus.Failed, "runtime error 507053 (fault plan); CE reports codes outside its whitelist as FAILED", PullAsync),
        ["HX transfer runtime error: the raw ACL code"] = new(EngineProfile.HX, FaultPlan.Scripted(new TransferErrorFault(DecoderId, 507053, T0)), true,
            (LlmStatus)507053, "runtime error 507053 (fault plan)", PullAsync),
        ["CE link establishment failure: LINK_FAILED"] = new(EngineProfile.CE, FaultPlan.Scripted(new LinkEstablishmentFailureFault(DecoderId, PromptId, T0)), false,
            LlmStatus.LinkFailed, $"cluster {PromptId}: link establishment to cluster {PromptId} fails (fault plan)", (_, d) => LinkAsync(d)),
        ["HX link establishment failure: LINK_FAILED"] = new(EngineProfile.HX, FaultPlan.Scripted(new LinkEstablishmentFailureFault(DecoderId, PromptId, T0)), false,
            LlmStatus.LinkFailed, $"cluster {PromptId}: link establishment to cluster {PromptId} fails (fault plan) (timeout {LinkTimeoutMs} ms)", (_, d) => LinkAsync(d)),
        ["HX handshake connection error: LINK_FAILED"] = new(EngineProfile.HX, FaultPlan.Scripted(new ControlPlaneErrorFault(DecoderId, PromptId, ControlMessageKind.Handshake, T0)), false,
            LlmStatus.LinkFailed, $"handshake connection to cluster {PromptId} failed with an error (fault plan)", (_, d) => LinkAsync(d)),
        ["HX link over a downed link: TIMEOUT"] = new(EngineProfile.HX, FaultPlan.Scripted(new LinkDownFault($"npu{DecoderNpu}.roce.rx", T0)), false,
            LlmStatus.Timeout, $"cluster {PromptId}: handshake with cluster {PromptId} not completed before the call's deadline", (_, d) => LinkAsync(d)),
        ["CE link over a downed link: LINK_FAILED"] = new(EngineProfile.CE, FaultPlan.Scripted(new LinkDownFault($"npu{DecoderNpu}.roce.rx", T0)), false,
            LlmStatus.LinkFailed, $"did not link and were rolled back (cluster {PromptId}: handshake with cluster {PromptId} not completed before the call's deadline", (_, d) => LinkAsync(d)),
        ["HX link twice: ALREADY_LINK"] = new(EngineProfile.HX, FaultPlan.None, true,
            LlmStatus.AlreadyLink, $"instance {DecoderId} already links cluster {PromptId}", (_, d) => LinkAsync(d)),
        ["CE unlink notice error: UNLINK_FAILED naming NOTIFY_PROMPT_UNLINK_FAILED"] = new(EngineProfile.CE,
            FaultPlan.Scripted(new ControlPlaneErrorFault(DecoderId, null, ControlMessageKind.UnlinkNotice, T0)), true,
            LlmStatus.UnlinkFailed, $"{PromptId} (NotifyPromptUnlinkFailed) did not unlink (cluster {PromptId}: the unlink notice to cluster {PromptId} failed with an error (fault plan); the prompt keeps its record",
            (_, d) => UnlinkAsync(d, force: false)),
        ["HX unlink notice error: UNLINK_FAILED"] = new(EngineProfile.HX, FaultPlan.Scripted(new ControlPlaneErrorFault(DecoderId, PromptId, ControlMessageKind.UnlinkNotice, T0)), true,
            LlmStatus.UnlinkFailed, $"cluster {PromptId}: the unlink notice to cluster {PromptId} failed with an error (fault plan)", (_, d) => UnlinkAsync(d, force: false)),
        ["CE unlink whose close fails: UNLINK_FAILED"] = new(EngineProfile.CE, FaultPlan.Scripted(new UnlinkCloseFailureFault(DecoderId, T0)), true,
            LlmStatus.UnlinkFailed, $"closing the connection failed on instance {DecoderId} (fault plan)", (_, d) => UnlinkAsync(d, force: true)),
        ["HX unlink whose close fails: UNLINK_FAILED"] = new(EngineProfile.HX, FaultPlan.Scripted(new UnlinkCloseFailureFault(DecoderId, T0)), true,
            LlmStatus.UnlinkFailed, $"closing the connection failed on instance {DecoderId} (fault plan)", (_, d) => UnlinkAsync(d, force: true)),
        ["CE unlink under a running transfer: UNLINK_FAILED naming LINK_BUSY"] = new(EngineProfile.CE, FaultPlan.Scripted(new LinkDownFault($"npu{DecoderNpu}.roce.rx", T0)), true,
            LlmStatus.UnlinkFailed, $"cluster {PromptId}: the link to cluster {PromptId} has 1 transfer(s) running or its lock held", async (s, d) =>
            {
                var pull = PullAsync(s, d);
                await s.DelayUntilAsync(T0 + (10 * Ms));
                try
                {
                    await UnlinkAsync(d, force: false);
                }
                finally
                {
                    await Assert.ThrowsAnyAsync<LlmDataDistException>(() => pull);
                }
            }),
        ["HX pull while the link is being unlinked: NOT_YET_LINK"] = new(EngineProfile.HX, FaultPlan.Scripted(new LinkDownFault($"npu{DecoderNpu}.roce.rx", T0)), true,
            LlmStatus.NotYetLink, $"the link to cluster {PromptId} is being unlinked", async (s, d) =>
            {
                var stalled = PullAsync(s, d);
                await s.DelayUntilAsync(T0 + (10 * Ms));
                var unlink = UnlinkAsync(d, force: true); // waits for the stalled pull, the record marked destroyed
                await s.DelayUntilAsync(T0 + (20 * Ms));
                try
                {
                    await PullAsync(s, d);
                }
                finally
                {
                    await Assert.ThrowsAnyAsync<LlmDataDistException>(() => stalled);
                    await unlink;
                }
            }),
        ["CE link while another link runs: PROCESSING_LINK"] = new(EngineProfile.CE, FaultPlan.Scripted(new DeviceUnresponsiveFault(DecoderNpu, T0)), false,
            LlmStatus.ProcessingLink, $"another link or unlink is running on instance {DecoderId}", async (s, d) =>
            {
                var first = LinkAsync(d);
                try
                {
                    await LinkAsync(d);
                }
                finally
                {
                    await Assert.ThrowsAnyAsync<LlmDataDistException>(() => first);
                }
            }),
        ["CE own instance crashes mid-pull: FAILED"] = new(EngineProfile.CE,
            FaultPlan.Scripted(new LinkDownFault($"npu{DecoderNpu}.roce.rx", T0), new ClusterCrashFault(DecoderId, T0 + (10 * Ms))), true,
            LlmStatus.Failed, $"instance {DecoderId} was finalized, disposed or crashed during the call", PullAsync),
        ["HX own instance crashes mid-pull: FAILED"] = new(EngineProfile.HX,
            FaultPlan.Scripted(new LinkDownFault($"npu{DecoderNpu}.roce.rx", T0), new ClusterCrashFault(DecoderId, T0 + (10 * Ms))), true,
            LlmStatus.Failed, $"instance {DecoderId} was finalized, disposed or crashed during the call", PullAsync),
    };

    public static TheoryData<string> Names => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void A_fault_driven_failure_carries_its_reason_through_the_client(string name)
    {
        var c = Cases[name];
        using var s = new FaultScenario(c.Profile, c.Plan);
        LlmDataDistException? error = null;
        s.Run(async s =>
        {
            await s.SetUpAsync(link: c.Link, warmUp: c.WarmUp);
            await s.DelayUntilAsync(T0);
            error = await Assert.ThrowsAnyAsync<LlmDataDistException>(() => c.Call(s, s.Client(s.Decoder)));
        });

        Assert.NotNull(error);
        Assert.Equal(c.Status, error.Status);
        Assert.NotNull(error.Reason);
        Assert.Contains(c.Reason, error.Reason, StringComparison.Ordinal);
        Assert.Contains(error.Reason, error.Message, StringComparison.Ordinal);
    }
}
