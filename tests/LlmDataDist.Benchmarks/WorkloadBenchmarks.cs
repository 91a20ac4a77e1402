using BenchmarkDotNet.Attributes;
using LlmDataDist.Simulator;
using LlmDataDist.Simulator.Scenarios;

namespace LlmDataDist.Benchmarks;

/// <summary>
/// Wall time to simulate one virtual second of a 1P1D workload on two A2 servers (the runner's default, sizes only),
/// decode tail excluded: speed-up over real time = 1 s / mean. The same workload moving real bytes (tiny model) is
/// reported beside it.
/// </summary>
public class WorkloadBenchmarks
{
    [Benchmark(Baseline = true)]
    public int OneVirtualSecond1P1D() => Run(ScenarioSpec.Default with { OutputTokensMean = 0 });

    [Benchmark]
    public int OneVirtualSecond1P1DRealBytesTinyModel() => Run(ScenarioSpec.Default with { OutputTokensMean = 0, Model = KvModel.Tiny, MetadataOnly = false });

    /// <summary>The shape of the runner's 100 k scale run (16P16D on four A2 servers, 320 requests/s, dense 8B, metadata
    /// mode) for 5 000 requests: the per-request cost of the transfer path that bounds llmdd-sim's large runs.</summary>
    [Benchmark]
    public int FiveThousandRequests16P16D() => Run(ScenarioSpec.Default with
    {
        Seed = 1, Servers = 4, Prompts = 16, Decoders = 16, Model = KvModel.Dense8B, RequestsPerSecond = 320,
        DurationNs = 100 * SimTime.NsPerSecond, MaxRequests = 5_000, BlocksPerInstance = 2048, PullRetries = 1,
    });

    private static int Run(ScenarioSpec spec)
    {
        var (scenario, result) = DisaggregatedScenario.Run(spec);
        scenario.Dispose();
        if (result.VirtualNs < SimTime.NsPerSecond / 2)
        {
            throw new InvalidOperationException("the workload did not run");
        }

        return result.Succeeded;
    }
}
