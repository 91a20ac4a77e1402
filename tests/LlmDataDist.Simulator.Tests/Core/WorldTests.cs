using LlmDataDist.Simulator;

namespace LlmDataDist.Simulator.Tests.Core;

public class WorldTests
{
    // The usage example of docs/simulator-core.md, kept compiling and true here.
    [Fact]
    public async Task Documented_example_runs_and_moves_bytes()
    {
        var plan = FaultPlan.Scripted(new LinkDownFault("npu9.roce.rx", AtNs: 2 * SimTime.NsPerMs));
        using var world = new SimulatedWorld(seed: 42, Topology.A2(servers: 2), plan);
        TransferOutcome outcome = default;
        SimBuffer? dst = null;
        await world.RunAsync(async () =>
        {
            var src = world.Memory.Device(0).Allocate(1 << 20, "kv").Buffer!;
            dst = world.Memory.Device(8).Allocate(1 << 20, "kv").Buffer!;
            src.Span.Fill(0xAB);
            var deadline = world.NowNs + 1 * SimTime.NsPerMs;
            outcome = await world.Network.TransferAsync(0, 8, 1 << 20, 8, deadline);
            if (outcome.IsCompleted)
            {
                src.Range(0, 1 << 20).CopyTo(dst.Range(0, 1 << 20));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5), world.TimeProvider);
        });
        Assert.True(outcome.IsCompleted);
        Assert.InRange(outcome.DurationNs, 44_000, 50_000); // 1 MiB at 23.8 GB/s + 4 us + jitter
        Assert.All(dst!.Span.ToArray(), b => Assert.Equal(0xAB, b));
        Assert.Contains(world.Trace.Events, e => e.Name == "LinkDown" && e.TimeNs == 2 * SimTime.NsPerMs);
        Assert.Equal(outcome.EndNs + (5 * SimTime.NsPerMs), world.NowNs);
    }

    [Fact]
    public async Task RunAsync_reports_failures_through_its_task()
    {
        using var world = new SimulatedWorld(1, Topology.A2());
        var failure = await Assert.ThrowsAsync<SimulationFailureException>(() => world.RunAsync(() => world.Loop.CreateWait<int>("never").Task));
        Assert.Equal(SimulationFailureKind.Deadlock, failure.Kind);
        Assert.Equal(7, await world.RunAsync(async () => { await world.Loop.Delay(1); return 7; }));
    }

    [Fact]
    public void Options_reach_the_parts()
    {
        using var world = new SimulatedWorld(1, Topology.A2(), options: new SimulationOptions(MetadataOnly: true, StepsMax: 10, KeepTraceEvents: false));
        Assert.True(world.Memory.MetadataOnly);
        Assert.Equal(10, world.Loop.StepsMax);
        world.Run(() => world.Network.TransferAsync(0, 1, 4096, 1));
        Assert.Empty(world.Trace.Events);
        Assert.Equal(1, world.Trace.Count);
        Assert.Contains("seed=1", world.DescribeForReplay(), StringComparison.Ordinal);
    }
}
