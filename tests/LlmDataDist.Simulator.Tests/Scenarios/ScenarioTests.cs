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
}
