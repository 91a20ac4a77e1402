using LlmDataDist.Simulator.Scenarios;

namespace LlmDataDist.Simulator.Tests.Scenarios;

/// <summary>Where a scenario's instances run decides the transport of each pair; a what-if model changes only the
/// bandwidth term of the paths it scales.</summary>
public class PlacementTests
{
    private static readonly ScenarioSpec Short = ScenarioSpec.Default with { DurationNs = 200 * SimTime.NsPerMs, OutputTokensMean = 4 };

    private static ScenarioResult Run(ScenarioSpec spec)
    {
        var (scenario, result) = DisaggregatedScenario.Run(spec);
        scenario.Dispose();
        return result;
    }

    [Fact]
    public void Packed_keeps_prompts_and_decoders_on_separate_servers_and_interleaved_puts_both_on_each()
    {
        var topology = Topology.A2(2);
        var packed = ScenarioPlacement.Packed(topology, 6, 6);
        Assert.All(packed.PromptNpus, n => Assert.Equal(0, topology.Npus[n].ServerIndex));
        Assert.All(packed.DecoderNpus, n => Assert.Equal(1, topology.Npus[n].ServerIndex));

        var interleaved = ScenarioPlacement.Interleaved(topology, 6, 6);
        var all = interleaved.PromptNpus.Concat(interleaved.DecoderNpus).ToList();
        Assert.Equal(12, all.Distinct().Count());
        foreach (var server in new[] { 0, 1 })
        {
            Assert.Contains(interleaved.PromptNpus, n => topology.Npus[n].ServerIndex == server);
            Assert.Contains(interleaved.DecoderNpus, n => topology.Npus[n].ServerIndex == server);
        }

        // Uneven P:D keeps its proportion: 2 prompts spread among 6 decoders, a prompt first.
        var uneven = ScenarioPlacement.Interleaved(topology, 2, 6);
        Assert.Equal([0, 4], uneven.PromptNpus);
    }

    [Fact]
    public void A_placement_decides_the_link_class_of_every_request()
    {
        var sameServer = Run(Short with { Placement = new ScenarioPlacement([3], [5]) });
        var twoServers = Run(Short with { Placement = new ScenarioPlacement([3], [12]) });
        Assert.NotEmpty(sameServer.Requests);
        Assert.All(sameServer.Requests, r => Assert.Equal("hccs", r.LinkClass));
        Assert.All(twoServers.Requests, r => Assert.Equal("roce", r.LinkClass));
        Assert.Equal(Run(Short).TraceHash, Run(Short with { Placement = ScenarioPlacement.Packed(Topology.A2(2), 1, 1) }).TraceHash);
    }

    [Theory]
    [InlineData(new[] { 3 }, new[] { 3 })]
    [InlineData(new[] { 3 }, new[] { 16 })]
    [InlineData(new[] { 3, 4 }, new[] { 5 })]
    public void A_placement_that_does_not_fit_the_spec_is_refused(int[] prompts, int[] decoders)
    {
        var ex = Assert.Throws<ArgumentException>(() => Run(Short with { Placement = new ScenarioPlacement(prompts, decoders) }));
        Assert.Contains("placement", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bandwidth_what_if_scales_the_plateau_of_its_paths_only()
    {
        var model = LatencyModel.Default;
        var scaled = model.WithBandwidthScale(Platform.A2, LinkKind.Roce, 2);
        foreach (var fit in model.Paths)
        {
            var after = scaled.Timing(fit.Key)!;
            var isScaled = fit.Key.Platform == Platform.A2 && fit.Key.Transport == LinkKind.Roce;
            Assert.Equal(isScaled ? 2 * fit.Timing.BandwidthBytesPerSecond : fit.Timing.BandwidthBytesPerSecond, after.BandwidthBytesPerSecond);
            Assert.Equal(fit.Timing.PerBlockNs, after.PerBlockNs);
            Assert.Equal(fit.Timing.Sharpness, after.Sharpness);
        }

        Assert.Equal(2 * model.Port(Platform.A2, LinkKind.Roce).BandwidthBytesPerSecond, scaled.Port(Platform.A2, LinkKind.Roce).BandwidthBytesPerSecond);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.WithBandwidthScale(Platform.A2, LinkKind.Roce, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.WithBandwidthScale(Platform.A2, LinkKind.Roce, double.NaN));
    }
}
