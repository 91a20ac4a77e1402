using LlmDataDist.Simulator.Semantics;
using LlmDataDist.Testing.Tests.Example;

namespace LlmDataDist.Testing.Tests.Kit;

public sealed class ReuseSafetyKitTests
{
    // The counterexample the property shrinks the naive scheduler to, on CE and HX alike (docs/testing-guide.md): three
    // requests from prompt 1 time out while its port is down (the first sent its bytes; the two queued behind it find the
    // link broken and send nothing); the last request comes from prompt 2 and gets the first one's block.
    private const ulong CounterexampleSeed = 36;

    private static KvWorkload Counterexample => KvWorkload.Parse("0:1:5:1 0:1:10:1 0:1:8:1 1:1:3:3");

    private static readonly ReuseSafetySettings Settings = ReuseSafetySettings.Default with { Environment = SimulationEnvironment.None };

    /// <summary>Looks at the decoder pool each time a request is handed to the scheduler.</summary>
    private sealed class Watched(PoolScheduler inner, KvBlockTracker tracker, List<KvBlockStates> seen, List<Exception> refused) : IKvScheduler
    {
        public Task<KvPlacement?> PlaceAsync(KvRequest request)
        {
            seen.Add(tracker.Now());
            if (Record.Exception(tracker.AssertReuseSafe) is { } unsafeReuse)
            {
                refused.Add(unsafeReuse);
            }

            return inner.PlaceAsync(request);
        }

        public Task ReleaseAsync(KvRequest request, KvPlacement placement) => inner.ReleaseAsync(request, placement);
    }

    private static Func<KvDeployment, IKvScheduler> WatchedScheduler(bool quarantine, List<KvBlockStates> seen, List<Exception> refused) => d =>
    {
        var scheduler = new PoolScheduler(d, quarantine);
        var decoder = d.Decoders[0].ClusterId;
        return new Watched(scheduler, d.Track(decoder, () => scheduler.FreeBlocks(decoder), () => scheduler.QuarantinedBlocks(decoder)), seen, refused);
    };

    [Theory]
    [InlineData(EngineProfile.CE)]
    [InlineData(EngineProfile.HX)]
    public void The_printed_counterexample_replays_and_the_tracker_shows_free_blocks_a_timed_out_pull_may_still_write(EngineProfile profile)
    {
        var (seen, refused) = (new List<KvBlockStates>(), new List<Exception>());
        var workload = Counterexample;
        var ex = Assert.Throws<SimulationFailedException>(() => ReuseSafety.Run(CounterexampleSeed, workload, profile, WatchedScheduler(quarantine: false, seen, refused), Settings));

        Assert.Contains($"request {workload.Requests.Count - 1} (from prompt 2) was served with KV bytes that differ from its prompt's", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"replay: ReuseSafety.Run({CounterexampleSeed}, KvWorkload.Parse(\"{workload}\"), EngineProfile.{profile}, yourScheduler)", ex.Message, StringComparison.Ordinal);
        var unsafeLooks = seen.Where(s => s.FreeButUnsafe.Count > 0).ToList();
        Assert.NotEmpty(unsafeLooks);
        Assert.All(unsafeLooks, look =>
        {
            Assert.Equal(look.TimedOut, look.FreeButUnsafe); // the naive scheduler freed every block still at risk
            Assert.Empty(look.Quarantined);
        });
        Assert.Equal(unsafeLooks.Count, refused.Count);
        Assert.All(refused, r => Assert.Contains("free while a transfer may still write them", Assert.IsType<ReuseSafetyException>(r).Message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(EngineProfile.CE)]
    [InlineData(EngineProfile.HX)]
    public void Quarantined_until_the_teardown_the_same_workload_is_served_exactly_and_no_free_block_is_at_risk(EngineProfile profile)
    {
        var (seen, refused) = (new List<KvBlockStates>(), new List<Exception>());
        ReuseSafety.Run(CounterexampleSeed, Counterexample, profile, WatchedScheduler(quarantine: true, seen, refused), Settings);

        Assert.Empty(refused);
        Assert.All(seen, s => Assert.Empty(s.FreeButUnsafe));
        var during = seen.Where(s => s.TimedOut.Count > 0).ToList();
        Assert.NotEmpty(during);
        Assert.All(during, look => Assert.Equal(look.TimedOut, look.Quarantined));
    }

    [Fact]
    public void A_workload_prints_as_text_it_parses_back_and_bad_text_is_refused()
    {
        var workload = Counterexample;
        Assert.Equal(workload, KvWorkload.Parse(workload.ToString()));
        Assert.Equal(4, workload.Requests.Count);
        Assert.Equal(new KvWorkloadRequest(1, 1, 3, 3), workload.Requests[3]);
        Assert.Throws<FormatException>(() => KvWorkload.Parse("0:1:2"));
        Assert.Throws<FormatException>(() => KvWorkload.Parse("0:0:1:1"));
        Assert.Throws<FormatException>(() => KvWorkload.Parse("0:x:1:1"));
    }
}
