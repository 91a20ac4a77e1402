using LlmDataDist.Samples.Simulated;

namespace LlmDataDist.Simulator.Tests.Samples;

/// <summary>The simulated samples' three flows, in-process: each must verify its data on the decoder side.</summary>
public sealed class SimulatedSamplesTests
{
    [Fact]
    public void The_three_official_flows_run_through_the_client_and_verify_their_data()
    {
        using var log = new StringWriter();
        var results = SimulatedFlows.RunAll(log);
        var text = log.ToString();
        Assert.Equal(3, results.Count);
        Assert.All(results, r => Assert.True(r.Verified, $"{r.Name}:\n{text}"));
        Assert.All(results, r => Assert.InRange(r.VirtualNs, 2 * SimTime.NsPerMs, SimTime.NsPerSecond)); // a link set-up and some transfers
        Assert.Equal(3, text.Split("; the flow took").Length - 1);
        Assert.Equal(6, text.Split("data verified (").Length - 1); // every transfer checked (two per flow)
        Assert.DoesNotContain("MISMATCH", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_flow_is_a_pure_function_of_its_seed()
    {
        using var first = new StringWriter();
        using var second = new StringWriter();
        Assert.Equal(SimulatedFlows.PromptPushesToDecoder(first), SimulatedFlows.PromptPushesToDecoder(second));
        Assert.Equal(first.ToString(), second.ToString());
    }
}
