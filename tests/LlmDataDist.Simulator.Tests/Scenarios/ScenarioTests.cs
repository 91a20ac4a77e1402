using LlmDataDist.Simulator.Scenarios;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Tests.Scenarios;

public class ScenarioTests
{
    private static ScenarioResult Run(ScenarioSpec spec)
    {
        var (scenario, result) = DisaggregatedScenario.Run(spec);
        scenario.Dispose();
        return result;
    }

    private static readonly ScenarioSpec Short = ScenarioSpec.Default with { DurationNs = 300 * SimTime.NsPerMs, OutputTokensMean = 4 };

    [Fact]
    public void The_default_workload_delivers_every_request_and_its_bytes_add_up()
    {
        var result = Run(Short);
        Assert.NotEmpty(result.Requests);
        Assert.Equal(result.Requests.Count, result.Succeeded);
        Assert.Equal(result.Requests.Sum(r => r.Blocks * KvModel.Dense8B.BlockBytes * KvModel.Dense8B.Tensors), result.BytesMoved);
        // Two A2 servers talk over one 200 Gb/s RoCE port: no pull can beat the line rate.
        Assert.All(result.Requests, r => Assert.True(r.PullNs * 23.8 >= r.Bytes, $"request {r.Id}: {r.Bytes} B in {r.PullNs} ns"));
    }

    [Fact]
    public void Same_spec_same_result_and_trace_hash_and_another_seed_differs()
    {
        var a = Run(Short);
        var b = Run(Short);
        var c = Run(Short with { Seed = 43 });
        Assert.Equal(a.TraceHash, b.TraceHash);
        Assert.Equal(a.Requests, b.Requests);
        Assert.NotEqual(a.TraceHash, c.TraceHash);
    }

    [Theory]
    [InlineData(EngineProfile.CE)]
    [InlineData(EngineProfile.HX)]
    public void With_real_bytes_every_delivered_request_is_verified_on_the_decoder(EngineProfile profile)
    {
        var result = Run(Short with { Model = KvModel.Tiny, MetadataOnly = false, Profile = profile, Prompts = 2, Decoders = 2 });
        Assert.True(result.Succeeded > 0);
        Assert.Equal(result.Succeeded, result.Verified);
        Assert.Equal(0, result.Corrupted);
    }

    public static TheoryData<EngineProfile, TransferMode, int, bool> Modes()
    {
        var data = new TheoryData<EngineProfile, TransferMode, int, bool>();
        foreach (var profile in new[] { EngineProfile.CE, EngineProfile.HX })
        {
            foreach (var mode in Enum.GetValues<TransferMode>())
            {
                data.Add(profile, mode, 0, false);
                data.Add(profile, mode, 1, true);
                data.Add(profile, mode, 1, false);
            }
        }

        return data;
    }

    // Every mode on both engines (the reference lets a single-device Prompt push on CE over its server-side link record
    // and any side transfer on HX), whole and one layer per call, overlapping prefill or after it: each request delivered
    // with its own bytes (overlapped, the prompt writes each layer when prefill computes it: a group moved early fails).
    [Theory]
    [MemberData(nameof(Modes))]
    public void Every_transfer_mode_delivers_every_request_with_its_bytes_on_both_engines(EngineProfile profile, TransferMode mode, int layersPerCall, bool overlap)
    {
        var spec = Short with
        {
            Model = KvModel.Tiny, MetadataOnly = false, Profile = profile, Prompts = 2, Decoders = 2, PromptTokensMean = 256, Transfer = mode,
            LayersPerCall = layersPerCall, OverlapPrefill = overlap,
        };
        var result = Run(spec);
        Assert.True(result.Requests.Count >= 3, $"{result.Requests.Count} requests");
        Assert.Equal(result.Requests.Count, result.Succeeded);
        Assert.Equal(result.Succeeded, result.Verified);
        Assert.Equal(0, result.Corrupted);
    }

    [Fact]
    public void Each_mode_moves_kv_its_own_way_and_layer_wise_makes_a_call_per_layer_group()
    {
        var spec = Short with { Model = KvModel.Tiny, PromptTokensMean = 256 };
        var hashes = Enum.GetValues<TransferMode>().Select(mode => Run(spec with { Transfer = mode }).TraceHash).ToList();
        Assert.Equal(hashes.Count, hashes.Distinct().Count());
        var whole = Run(spec with { Transfer = TransferMode.PushBlocks });
        var perLayer = Run(spec with { Transfer = TransferMode.PushBlocks, LayersPerCall = 1 });
        Assert.Equal(whole.Requests.Count, perLayer.Requests.Count);
        Assert.True(perLayer.TraceEvents > whole.TraceEvents, $"{perLayer.TraceEvents} trace events per layer vs {whole.TraceEvents} whole");
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(7UL)]
    [InlineData(23UL)]
    public void Under_chaos_a_reported_delivery_is_always_exact_bytes(ulong chaos)
    {
        var result = Run(Short with { Model = KvModel.Tiny, MetadataOnly = false, ChaosSeed = chaos, RequestsPerSecond = 60 });
        Assert.Equal(0, result.Corrupted);
        Assert.Equal(result.Succeeded, result.Verified);
    }

    [Theory]
    [InlineData(EngineProfile.CE)]
    [InlineData(EngineProfile.HX)]
    public void More_than_16_prompts_link_in_batches_and_every_request_is_delivered(EngineProfile profile)
    {
        // CE refuses more than 16 clusters in one Link call; the scenario links in batches of at most 16.
        var result = Run(Short with { Profile = profile, Servers = 5, Prompts = 20, Decoders = 20, Model = KvModel.Tiny, RequestsPerSecond = 200, DurationNs = 100 * SimTime.NsPerMs });
        Assert.True(result.Requests.Count > 5);
        Assert.Equal(result.Requests.Count, result.Succeeded);
        Assert.Contains(result.Requests, r => r.Prompt >= 16);
    }

    [Fact]
    public void A_pull_broken_by_a_link_flap_is_recovered_by_relinking_and_retried()
    {
        var flap = FaultPlan.Scripted(new LinkFlapFault("npu0.roce.tx", 50 * SimTime.NsPerMs, 150 * SimTime.NsPerMs, 20 * SimTime.NsPerMs));
        var result = Run(Short with { Faults = flap, PullRetries = 1, RequestsPerSecond = 100 });
        Assert.True(result.Relinks >= 1, $"relinks {result.Relinks}");
        Assert.True(result.Retries >= 1, $"retries {result.Retries}");
        Assert.Contains(result.Requests, r => r.Succeeded && r.Attempts == 2);
        var without = Run(Short with { Faults = flap, PullRetries = 0, RequestsPerSecond = 100 });
        Assert.True(without.Succeeded < result.Succeeded, $"{without.Succeeded} without retries, {result.Succeeded} with");
    }
}
