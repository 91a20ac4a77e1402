using System.Text.Json;
using LlmDataDist.Simulator;

namespace LlmDataDist.Simulator.Tests.Core;

public class TraceTests
{
    // A small workload whose timing depends on the seed: jitter, random sizes and delays, drops and chaos faults.
    private static SimulatedWorld RunWorkload(ulong seed, FaultPlan? plan = null)
    {
        var world = new SimulatedWorld(seed, Topology.A2(2), plan ?? FaultPlan.None.WithTransferDrop(new Ratio(1, 10)));
        world.Run(async () =>
        {
            var r = world.Random.Fork();
            var tasks = new List<Task>();
            for (var i = 0; i < 20; i++)
            {
                var src = (int)r.Below(16);
                var dst = (src + 1 + (int)r.Below(15)) % 16;
                var bytes = 4096 + (long)r.Below(1 << 20);
                tasks.Add(world.Network.TransferAsync(src, dst, bytes, 1 + (int)r.Below(64), world.NowNs + 5 * SimTime.NsPerMs));
                world.Memory.Device(src).Allocate(bytes, $"cache{i}");
                await world.Loop.Delay(world.Random.ExponentialNs(20_000));
            }

            await Task.WhenAll(tasks);
        });
        return world;
    }

    [Fact]
    public void Same_seed_and_calls_give_the_same_hash_and_another_seed_another()
    {
        using var a = RunWorkload(7);
        using var b = RunWorkload(7);
        using var c = RunWorkload(8);
        Assert.Equal(40, a.Trace.Count); // 20 transfers and 20 allocations
        Assert.Equal(a.Trace.Hash, b.Trace.Hash);
        Assert.Equal(a.Trace.Events.Select(e => e.ToString()), b.Trace.Events.Select(e => e.ToString()));
        Assert.NotEqual(a.Trace.Hash, c.Trace.Hash);
        Assert.Matches("^[0-9a-f]{16}$", a.Trace.HashHex);
    }

    [Fact]
    public void Chaos_runs_are_reproducible_too()
    {
        for (ulong seed = 0; seed < 5; seed++)
        {
            var plan = FaultPlan.Chaos(seed, npuCount: 16, horizonNs: 2 * SimTime.NsPerMs);
            using var a = RunWorkload(seed, plan);
            using var b = RunWorkload(seed, plan);
            Assert.True(a.Trace.Hash == b.Trace.Hash, $"seed={seed} plan={plan}");
        }
    }

    [Fact]
    public void Hash_covers_every_field_and_the_order_of_events()
    {
        static ulong Hash(params TraceEvent[] events)
        {
            var t = new Trace();
            foreach (var e in events)
            {
                t.Record(e);
            }

            return t.Hash;
        }

        var actor = new TraceActor("npu1", 1, 2);
        var e1 = new TraceEvent(10, 0, TraceEventKind.Instant, "call", "Pull", actor, [new("cache", "7")]);
        var e2 = e1 with { Name = "Push" };
        Assert.Equal(Hash(e1, e2), Hash(e1, e2));
        Assert.NotEqual(Hash(e1, e2), Hash(e2, e1));
        Assert.NotEqual(Hash(e1), Hash(e1 with { TimeNs = 11 }));
        Assert.NotEqual(Hash(e1), Hash(e1 with { Actor = actor with { ThreadId = 3 } }));
        Assert.NotEqual(Hash(e1), Hash(e1 with { Args = [new("cache", "8")] }));
        Assert.NotEqual(Hash(e1 with { Category = "ab", Name = "c" }), Hash(e1 with { Category = "a", Name = "bc" }));
    }

    [Fact]
    public void Args_are_sorted_by_key()
    {
        var t = new Trace();
        var e = t.Instant(5, "call", "X", TraceActor.World, ("zeta", "1"), ("alpha", "2"), ("mid", "3"));
        Assert.Equal(["alpha", "mid", "zeta"], e.Args.Select(a => a.Key));
        Assert.Equal("t=0.000005ms world X alpha=2 mid=3 zeta=1", e.ToString());
    }

    [Fact]
    public void Chrome_json_parses_and_has_the_expected_fields()
    {
        using var world = RunWorkload(3);
        using var doc = JsonDocument.Parse(world.Trace.ToChromeJson());
        var events = doc.RootElement.GetProperty("traceEvents").EnumerateArray().ToList();
        var spans = events.Where(e => e.GetProperty("ph").GetString() == "X").ToList();
        var instants = events.Where(e => e.GetProperty("ph").GetString() == "i").ToList();
        var metadata = events.Where(e => e.GetProperty("ph").GetString() == "M").ToList();
        Assert.Equal(world.Trace.Count, spans.Count + instants.Count);
        Assert.Equal(20, spans.Count); // one per transfer
        Assert.All(spans, e =>
        {
            Assert.Equal("transfer", e.GetProperty("cat").GetString());
            Assert.True(e.GetProperty("ts").GetDecimal() >= 0);
            Assert.True(e.GetProperty("dur").GetDecimal() >= 0);
            Assert.InRange(e.GetProperty("pid").GetInt32(), 1, 2); // servers 0 and 1
            Assert.InRange(e.GetProperty("tid").GetInt32(), 1, 8); // device id + 1
            Assert.True(e.GetProperty("args").TryGetProperty("status", out _));
        });
        Assert.All(instants, e => Assert.Equal("t", e.GetProperty("s").GetString()));
        Assert.Contains(metadata, e => e.GetProperty("name").GetString() == "process_name" && e.GetProperty("args").GetProperty("name").GetString() == "server1");
        Assert.Contains(metadata, e => e.GetProperty("name").GetString() == "thread_name" && e.GetProperty("args").GetProperty("name").GetString() == "npu9");

        // ts is in microseconds: the first span's ts equals its TimeNs / 1000 exactly.
        var first = world.Trace.Events.First(e => e.Kind == TraceEventKind.Complete);
        Assert.Equal(first.TimeNs / 1000m, spans[0].GetProperty("ts").GetDecimal());
        Assert.Equal(first.DurationNs / 1000m, spans[0].GetProperty("dur").GetDecimal());
    }

    [Fact]
    public void Failure_reports_carry_seed_plan_and_trace_tail()
    {
        using var world = new SimulatedWorld(99, Topology.A2(), FaultPlan.Scripted(new LinkDownFault("npu1.*", 0)));
        var failure = Assert.Throws<SimulationFailureException>(() => world.Run(async () =>
        {
            var outcome = await world.Network.TransferAsync(0, 1, 4096, 1);
            Assert.Equal(TransferStatus.Failed, outcome.Status);
            await world.Loop.CreateWait<int>("decode cluster never answers").Task;
        }));
        Assert.Contains("seed=99", failure.Message, StringComparison.Ordinal);
        Assert.Contains("LinkDownFault", failure.Message, StringComparison.Ordinal);
        Assert.Contains("decode cluster never answers", failure.Message, StringComparison.Ordinal);
        Assert.Contains("trace tail:", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Transfer", failure.Message, StringComparison.Ordinal);
    }
}
