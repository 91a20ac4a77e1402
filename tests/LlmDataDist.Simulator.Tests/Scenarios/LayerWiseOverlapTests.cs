using LlmDataDist.Simulator.Scenarios;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Tests.Scenarios;

/// <summary>
/// Layer-wise transfer overlapping prefill: each layer group moves as soon as prefill has computed it, so only the last
/// group's transfer stays between prefill end and KV on the decoder (the exposed transfer).
/// </summary>
public sealed class LayerWiseOverlapTests
{
    private const long Ms = SimTime.NsPerMs;

    private static readonly ScenarioSpec Short = ScenarioSpec.Default with { DurationNs = 300 * Ms, OutputTokensMean = 4 };

    // 8 layers of 128 KiB blocks: 2 layers per call make 4 groups, each moved in well under a quarter of the prefill,
    // and a pool of 8 blocks holds two 512-token requests, so the second reuses the first one's blocks.
    private static readonly ScenarioSpec FourGroups = Short with
    {
        Model = new KvModel("small-8", 8, 1024, 128),
        MetadataOnly = false,
        LayersPerCall = 2,
        BlocksPerInstance = 8,
        LateLanding = true,
        ArrivalTrace = [new ArrivalRow(0, 512, 4), new ArrivalRow(2500 * Ms, 512, 4)],
        DurationNs = 3000 * Ms,
    };

    private static ScenarioResult Run(ScenarioSpec spec)
    {
        var (scenario, result) = DisaggregatedScenario.Run(spec);
        scenario.Dispose();
        return result;
    }

    [Theory]
    [InlineData(TransferMode.PullBlocks)]
    [InlineData(TransferMode.PushBlocks)]
    [InlineData(TransferMode.PullCache)]
    [InlineData(TransferMode.PushCache)]
    public void Overlapping_prefill_exposes_less_transfer_than_moving_the_kv_after_prefill(TransferMode mode)
    {
        var spec = Short with { Transfer = mode, LayersPerCall = 8, Prompts = 2, Decoders = 2 };
        var overlapped = Run(spec);
        var afterPrefill = Run(spec with { OverlapPrefill = false });
        var wholeRequest = Run(spec with { LayersPerCall = 0 });
        foreach (var result in new[] { overlapped, afterPrefill, wholeRequest })
        {
            Assert.True(result.Requests.Count >= 3, $"{result.Requests.Count} requests");
            Assert.Equal(result.Requests.Count, result.Succeeded);
        }

        // Overlapped, a request's first group leaves while prefill still runs, its last only after prefill ends.
        Assert.All(overlapped.Requests, r => Assert.True(r.PullStartNs < r.PrefillEndNs && r.ExposedNs > 0, r.ToString()));
        Assert.All(afterPrefill.Requests.Concat(wholeRequest.Requests), r => Assert.True(r.PullStartNs >= r.PrefillEndNs, r.ToString()));
        var exposed = overlapped.Requests.Sum(r => r.ExposedNs);
        Assert.True(exposed < afterPrefill.Requests.Sum(r => r.ExposedNs), $"overlapped {exposed} ns, after prefill {afterPrefill.Requests.Sum(r => r.ExposedNs)} ns");
        Assert.True(exposed < wholeRequest.Requests.Sum(r => r.PullNs), $"overlapped {exposed} ns, whole-request transfers {wholeRequest.Requests.Sum(r => r.PullNs)} ns");
    }

    [Fact]
    public void Overlapped_layer_wise_runs_are_deterministic_and_differ_from_moving_after_prefill()
    {
        var spec = Short with { Model = KvModel.Tiny, MetadataOnly = false, LayersPerCall = 1, Prompts = 2, Decoders = 2, PromptTokensMean = 256 };
        var a = Run(spec);
        var b = Run(spec);
        Assert.Equal(a.TraceHash, b.TraceHash);
        Assert.Equal(a.Requests, b.Requests);
        var after = Run(spec with { OverlapPrefill = false });
        Assert.NotEqual(a.TraceHash, after.TraceHash);
        Assert.Equal(a.Succeeded, a.Verified);
        Assert.Equal(after.Succeeded, after.Verified);
    }

    public static TheoryData<EngineProfile, TransferMode> FaultCases() => new()
    {
        { EngineProfile.CE, TransferMode.PullBlocks },
        { EngineProfile.CE, TransferMode.PushBlocks },
        { EngineProfile.CE, TransferMode.PullCache },
        { EngineProfile.CE, TransferMode.PushCache },
        { EngineProfile.HX, TransferMode.PullBlocks },
        { EngineProfile.HX, TransferMode.PushCache },
    };

    // The prompt's RoCE port goes down between the first and the second group of the first request (found from a
    // clean run): the second group times out, its late bytes may land until the teardown, the decoder blocks wait in
    // quarantine, the documented recovery relinks, and the retry delivers every group; without a retry the request
    // fails with the timeout and the next request, on the same prompt and decoder blocks, still gets exactly its KV.
    [Theory]
    [MemberData(nameof(FaultCases))]
    public void A_link_fault_between_layer_groups_recovers_with_quarantine_or_fails_cleanly(EngineProfile profile, TransferMode mode)
    {
        var spec = FourGroups with { Profile = profile, Transfer = mode, PullRetries = 1 };
        var clean = Run(spec);
        var first = clean.Requests[0];
        var prefillNs = first.Tokens * spec.PrefillNsPerToken;
        var prefillStart = first.PrefillEndNs - prefillNs;
        var downAt = prefillStart + (prefillNs * 3 / 8); // group 0 moves from 1/4 of the prefill, group 1 from 2/4
        Assert.True(first.PullStartNs < downAt, $"the first group starts at {first.PullStartNs}, the fault at {downAt}");
        var fault = FaultPlan.Scripted(new LinkDownFault("npu0.roce.tx", downAt, prefillNs / 4));

        var recovered = Run(spec with { Faults = fault });
        Assert.Equal(2, recovered.Succeeded);
        Assert.Equal(2, recovered.Requests[0].Attempts);
        Assert.True(recovered.Relinks >= 1, $"relinks {recovered.Relinks}");
        Assert.True(recovered.BlocksQuarantined > 0, "the timed-out group's decoder blocks wait for the teardown");
        Assert.Equal(0, recovered.QuarantinedAtEnd);
        Assert.Equal(2, recovered.Verified);

        var failed = Run(spec with { Faults = fault, PullRetries = 0 });
        Assert.Equal(profile == EngineProfile.CE ? "WaitProcTimeout" : "Timeout", failed.Requests[0].Outcome);
        Assert.Null(failed.Requests[0].Verified);
        Assert.True(failed.Requests[1].Succeeded, failed.Requests[1].ToString());
        Assert.Equal(1, failed.Verified);
        Assert.Equal(0, failed.Corrupted);
    }

    /// <summary>Blocks in use over every prompt pool and every decoder pool, as they change.</summary>
    private sealed class PoolWatch : ScenarioObserver
    {
        public List<(long Ns, long Prompt, long Decoder)> Changes { get; } = [];

        public override void OnPoolUsage(long nowNs, long promptBlocksUsed, long decoderBlocksUsed) => Changes.Add((nowNs, promptBlocksUsed, decoderBlocksUsed));
    }

    // A runtime error fails the second group at once, while prefill is still computing into the prompt's blocks: the
    // decoder's blocks go back at the failure, the prompt's only when prefill has ended.
    [Theory]
    [InlineData(EngineProfile.CE, TransferMode.PullBlocks)]
    [InlineData(EngineProfile.HX, TransferMode.PushBlocks)]
    public void A_group_failing_during_prefill_frees_the_prompt_blocks_only_when_prefill_ends(EngineProfile profile, TransferMode mode)
    {
        var spec = FourGroups with { Profile = profile, Transfer = mode, PullRetries = 0 };
        var first = Run(spec).Requests[0];
        var prefillNs = first.Tokens * spec.PrefillNsPerToken;
        var secondGroupAt = first.PrefillEndNs - (prefillNs / 2);
        var caller = mode == TransferMode.PullBlocks ? 200UL : 100UL; // the decoder pulls, the prompt pushes
        var watch = new PoolWatch();
        var (scenario, failed) = DisaggregatedScenario.Run(spec with { Faults = FaultPlan.Scripted(new TransferErrorFault(caller, 507056, secondGroupAt, first.PrefillEndNs)) },
            progress: null, watch, keepRecords: true, keepTraceEvents: false);
        scenario.Dispose();

        var request = failed.Requests[0];
        Assert.False(request.Succeeded);
        Assert.True(request.PullEndNs < request.PrefillEndNs, $"the group failed at {request.PullEndNs}, prefill ends at {request.PrefillEndNs}");
        var decoderFree = watch.Changes.First(c => c.Ns > request.PullStartNs && c.Decoder == 0).Ns;
        var promptFree = watch.Changes.First(c => c.Ns > request.PullStartNs && c.Prompt == 0).Ns;
        Assert.Equal(request.PullEndNs, decoderFree);
        Assert.Equal(request.PrefillEndNs, promptFree);
        Assert.True(failed.Requests[1].Succeeded && failed.Requests[1].Verified == true, failed.Requests[1].ToString());
    }
}
