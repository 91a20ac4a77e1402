using LlmDataDist.Simulator;

namespace LlmDataDist.Simulator.Tests.Core;

public class NetworkTests
{
    private const long Ms = SimTime.NsPerMs;

    // 203 MB over an HCCS port of 20.3 GB/s is exactly 10 ms of data; one block keeps the per-block cap out of the way.
    private const long TenMsOfHccs = 203_000_000;
    private const long HccsRouteLatencyNs = 2_000;

    private static SimulatedWorld World(Topology? topology = null, FaultPlan? plan = null) =>
        new(1, topology ?? FixedPorts(2), plan, new SimulationOptions(Jitter: false));

    // Servers of 8 NPUs with fixed port figures and no platform: these tests are about latency, sharing and faults,
    // so they must not move when the calibration does (CalibrationTests covers that).
    private static Topology FixedPorts(int servers)
    {
        var b = new TopologyBuilder($"fixed{servers}");
        for (var s = 0; s < servers; s++)
        {
            var server = b.AddServer("fixed", HardwareDefaults.HostMemoryBytes);
            for (var d = 0; d < 8; d++)
            {
                b.AddNpu(server, HardwareDefaults.HbmBytes, new LinkParameters(20_300_000_000, 1_000, 1_841, 100),
                    new LinkParameters(23_800_000_000, 2_000, 895, 200), HardwareDefaults.Pcie4);
            }
        }

        return b.Build();
    }

    [Fact]
    public void A_transfer_in_flight_is_listed_among_the_pending_waits_by_what_it_moves_and_leaves_the_list_when_done()
    {
        // The description is built only when a report reads it; it must still say which transfer is awaited.
        using var w = World();
        IReadOnlyList<string> during = [];
        w.Run(async () =>
        {
            var transfer = w.Network.TransferAsync(0, 1, TenMsOfHccs, 1, deadlineNs: 50 * Ms);
            during = w.Loop.PendingWaits;
            await transfer;
        });
        var route = w.Topology.FindRoute(0, 1);
        Assert.Contains($"transfer #1 {route} {TenMsOfHccs} B in 1 blocks, deadline {SimTime.Format(50 * Ms)}", during);
        Assert.DoesNotContain(w.Loop.PendingWaits, d => d.StartsWith("transfer #", StringComparison.Ordinal));
    }

    [Fact]
    public void A_lone_transfer_takes_latency_plus_max_of_block_and_byte_time()
    {
        using var w = World();
        var outcomes = w.Run(async () => new[]
        {
            await w.Network.TransferAsync(0, 1, TenMsOfHccs, 1),
            await w.Network.TransferAsync(0, 1, 16 << 10, 1000), // 1000 blocks * 1841 ns dominate 0.8 us of bytes
            await w.Network.TransferAsync(0, 1, 0, 0),
        });
        Assert.All(outcomes, o => Assert.Equal(TransferStatus.Completed, o.Status));
        Assert.Equal(HccsRouteLatencyNs + (10 * Ms), outcomes[0].DurationNs);
        Assert.Equal(HccsRouteLatencyNs + (1000 * 1841), outcomes[1].DurationNs);
        Assert.Equal(HccsRouteLatencyNs, outcomes[2].DurationNs);
        Assert.Equal(w.Topology.FindRoute(0, 1).IdealDurationNs(TenMsOfHccs, 1), outcomes[0].DurationNs);
    }

    [Fact]
    public void A_transfer_on_a_calibrated_path_takes_latency_plus_the_p_norm_of_block_and_byte_time()
    {
        using var w = new SimulatedWorld(1, Topology.A3(1), options: new SimulationOptions(Jitter: false));
        var route = w.Topology.FindRoute(0, 1, TransferPath.HixlCs, TransferDirection.Push);
        var t = route.Timing;
        const long bytes = 128L << 20;
        var outcome = w.Run(() => w.Network.TransferAsync(route, bytes, 1024));
        var blockNs = 1024 * t.PerBlockNs;
        var byteNs = bytes * 1e9 / t.BandwidthBytesPerSecond;
        var expected = route.LatencyNs + (long)Math.Ceiling(Math.Pow(Math.Pow(blockNs, t.Sharpness) + Math.Pow(byteNs, t.Sharpness), 1 / t.Sharpness));
        Assert.InRange(outcome.DurationNs - expected, -1, 1); // Math.Pow against the simulator's own deterministic pow
        Assert.Equal(route.IdealDurationNs(bytes, 1024), outcome.DurationNs);
        Assert.True(outcome.DurationNs > route.LatencyNs + (long)Math.Max(blockNs, byteNs) + 100_000); // the knee is rounded, not max()
    }

    [Fact]
    public void A_descriptor_bound_transfer_keeps_its_pace_and_leaves_the_rest_of_the_port_to_a_bandwidth_bound_one()
    {
        using var w = new SimulatedWorld(1, Topology.A3(1), options: new SimulationOptions(Jitter: false));
        const long bytes = 128L << 20;
        var small = w.Topology.FindRoute(0, 1, TransferPath.HixlCs, TransferDirection.Push); // 16 KiB blocks: ~18 GB/s
        var large = w.Topology.FindRoute(0, 2, TransferPath.HixlCs, TransferDirection.Push); // 2 MiB blocks: ~165 GB/s
        var (a, b) = w.Run(async () =>
        {
            var ta = w.Network.TransferAsync(small, bytes, 8192);
            var tb = w.Network.TransferAsync(large, bytes, 64);
            return (await ta, await tb);
        });

        // Both leave npu0 over its HCCS out-port. Max-min: the small-block transfer is held by its own cap S / D,
        // below half the port, so it runs as if alone; the other gets what is left of the port, not half of it.
        Assert.Equal(small.IdealDurationNs(bytes, 8192), a.DurationNs);
        var port = w.Topology.GetLink("npu0.hccs.tx").BandwidthBytesPerSecond;
        var capSmall = (long)((((Int128)bytes * SimTime.NsPerSecond) + small.Timing.DataPhaseNs(bytes, 8192) - 1) / small.Timing.DataPhaseNs(bytes, 8192));
        var leftover = port - capSmall;
        Assert.True(leftover < large.Timing.BandwidthBytesPerSecond);
        var expected = large.LatencyNs + (long)(((Int128)bytes * SimTime.NsPerSecond + leftover - 1) / leftover);
        Assert.InRange(b.DurationNs - expected, 0, 1);
        Assert.True(b.DurationNs > large.IdealDurationNs(bytes, 64));
    }

    [Fact]
    public void Two_equal_transfers_on_one_link_each_take_twice_as_long()
    {
        using var w = World();
        var (a, b) = w.Run(async () =>
        {
            // Both leave npu0 over its HCCS out-port, to different destinations: that port is the shared link.
            var ta = w.Network.TransferAsync(0, 1, TenMsOfHccs, 1);
            var tb = w.Network.TransferAsync(0, 2, TenMsOfHccs, 1);
            return (await ta, await tb);
        });
        Assert.Equal(HccsRouteLatencyNs + (20 * Ms), a.DurationNs);
        Assert.Equal(HccsRouteLatencyNs + (20 * Ms), b.DurationNs);
    }

    [Fact]
    public void A_transfer_that_ends_frees_its_bandwidth_for_the_others()
    {
        using var w = World();
        var (big, small) = w.Run(async () =>
        {
            var tBig = w.Network.TransferAsync(0, 1, TenMsOfHccs, 1);
            var tSmall = w.Network.TransferAsync(0, 2, TenMsOfHccs / 2, 1);
            return (await tBig, await tSmall);
        });
        // Shared until the small one is done (half rate, 10 ms for 5 ms worth each), then the big one runs alone.
        Assert.Equal(HccsRouteLatencyNs + (10 * Ms), small.DurationNs);
        Assert.InRange(big.DurationNs - (HccsRouteLatencyNs + (15 * Ms)), 0, 2);
    }

    [Fact]
    public void Unrelated_links_do_not_share()
    {
        using var w = World();
        var (a, b) = w.Run(async () =>
        {
            var ta = w.Network.TransferAsync(0, 1, TenMsOfHccs, 1);
            var tb = w.Network.TransferAsync(2, 3, TenMsOfHccs, 1);
            return (await ta, await tb);
        });
        Assert.Equal(a.DurationNs, b.DurationNs);
        Assert.Equal(HccsRouteLatencyNs + (10 * Ms), a.DurationNs);
    }

    [Fact]
    public void Multi_hop_transfers_are_limited_by_their_bottleneck_and_leftovers_go_to_others()
    {
        // npu0 sends at 10 GB/s; npu1 receives at 2 GB/s; npu2 receives at 100 GB/s.
        var b = new TopologyBuilder("bottleneck");
        var s0 = b.AddServer("x", 1L << 30);
        var s1 = b.AddServer("x", 1L << 30);
        b.AddNpu(s0, 1L << 30, null, new LinkParameters(10_000_000_000, 0, 0, 0), null);
        b.AddNpu(s1, 1L << 30, null, new LinkParameters(2_000_000_000, 0, 0, 0), null);
        b.AddNpu(s1, 1L << 30, null, new LinkParameters(100_000_000_000, 0, 0, 0), null);
        using var w = World(b.Build());
        var (alone, toSlow, toFast) = w.Run(async () =>
        {
            var first = await w.Network.TransferAsync(0, 1, 2_000_000_000, 1);
            var slow = w.Network.TransferAsync(0, 1, 2_000_000_000, 1);
            var fast = w.Network.TransferAsync(0, 2, 8_000_000_000, 1);
            return (first, await slow, await fast);
        });
        Assert.Equal(SimTime.NsPerSecond, alone.DurationNs); // 2 GB at the 2 GB/s receive port, not 10
        Assert.Equal(SimTime.NsPerSecond, toSlow.DurationNs); // still 2 GB/s: its bottleneck is npu1's port
        Assert.Equal(SimTime.NsPerSecond, toFast.DurationNs); // max-min: gets the other 8 GB/s, not an equal 5
    }

    [Fact]
    public void A_transfer_past_its_deadline_times_out_exactly_at_the_deadline()
    {
        using var w = World();
        long resumedAt = -1;
        var outcome = w.Run(async () =>
        {
            var o = await w.Network.TransferAsync(0, 1, TenMsOfHccs, 1, deadlineNs: 3 * Ms);
            resumedAt = w.NowNs;
            return o;
        });
        Assert.Equal(TransferStatus.TimedOut, outcome.Status);
        Assert.Equal(3 * Ms, outcome.EndNs);
        Assert.Equal(3 * Ms, resumedAt);
        Assert.Equal("deadline", outcome.Cause);
        Assert.Equal(0, w.Network.ActiveTransferCount);
    }

    [Fact]
    public void A_transfer_completing_exactly_at_its_deadline_is_in_time_and_a_timed_out_one_frees_bandwidth()
    {
        using var w = World();
        var (exact, victim, other) = w.Run(async () =>
        {
            var e = await w.Network.TransferAsync(0, 1, TenMsOfHccs, 1, deadlineNs: HccsRouteLatencyNs + (10 * Ms));
            var start = w.NowNs;
            var v = w.Network.TransferAsync(0, 1, TenMsOfHccs, 1, deadlineNs: start + HccsRouteLatencyNs + (2 * Ms));
            var o = w.Network.TransferAsync(0, 2, TenMsOfHccs, 1);
            return (e, await v, await o);
        });
        Assert.Equal(TransferStatus.Completed, exact.Status);
        Assert.Equal(TransferStatus.TimedOut, victim.Status);
        // 2 ms at half rate (1 ms worth), then alone for the remaining 9 ms worth.
        Assert.InRange(other.DurationNs - (HccsRouteLatencyNs + (11 * Ms)), 0, 2);
    }

    [Fact]
    public void Over_a_down_link_a_transfer_times_out_at_its_deadline_or_fails_at_once_without_one()
    {
        using var w = World();
        var link = w.Topology.GetLink("npu1.hccs.rx");
        var (withDeadline, without, otherPath, afterUp) = w.Run(async () =>
        {
            w.Network.SetLinkUp(link.Id, up: false);
            var a = await w.Network.TransferAsync(0, 1, 1 << 20, 1, deadlineNs: 5 * Ms);
            var b = await w.Network.TransferAsync(0, 1, 1 << 20, 1);
            var c = await w.Network.TransferAsync(0, 2, 1 << 20, 1);
            w.Network.SetLinkUp(link.Id, up: true);
            var d = await w.Network.TransferAsync(0, 1, 1 << 20, 1);
            return (a, b, c, d);
        });
        Assert.Equal(TransferStatus.TimedOut, withDeadline.Status);
        Assert.Equal(5 * Ms, withDeadline.EndNs);
        Assert.Equal("link npu1.hccs.rx down", withDeadline.Cause);
        Assert.Equal(TransferStatus.Failed, without.Status);
        Assert.Equal(0, without.DurationNs);
        Assert.True(otherPath.IsCompleted);
        Assert.True(afterUp.IsCompleted);
    }

    [Fact]
    public void A_link_going_down_in_flight_loses_its_transfers_and_frees_the_shared_port()
    {
        var plan = FaultPlan.Scripted(new LinkDownFault("npu1.hccs.rx", AtNs: 4 * Ms));
        using var w = World(plan: plan);
        var (lost, survivor) = w.Run(async () =>
        {
            var l = w.Network.TransferAsync(0, 1, TenMsOfHccs, 1, deadlineNs: 50 * Ms);
            var s = w.Network.TransferAsync(0, 2, TenMsOfHccs, 1);
            return (await l, await s);
        });
        Assert.Equal(TransferStatus.TimedOut, lost.Status);
        Assert.Equal(50 * Ms, lost.EndNs);
        Assert.Contains("npu1.hccs.rx", lost.Cause, StringComparison.Ordinal);
        // Half rate until 4 ms (just under 2 ms worth moved), then full rate.
        Assert.InRange(survivor.EndNs, 12 * Ms, 12 * Ms + HccsRouteLatencyNs);
        Assert.Contains(w.Trace.Events, e => e.Name == "LinkDown" && e.Actor.Name == "npu1.hccs.rx");
    }

    [Fact]
    public void Dropped_transfers_time_out_and_the_drop_rate_follows_the_plan()
    {
        using var w = World(plan: FaultPlan.None.WithTransferDrop(new Ratio(1, 4)));
        var outcomes = w.Run(async () =>
        {
            var list = new List<TransferOutcome>();
            for (var i = 0; i < 400; i++)
            {
                list.Add(await w.Network.TransferAsync(0, 1, 4096, 1, deadlineNs: w.NowNs + Ms));
            }

            return list;
        });
        var dropped = outcomes.Where(o => o.Status == TransferStatus.TimedOut).ToList();
        Assert.InRange(dropped.Count, 70, 130);
        Assert.All(dropped, o => Assert.Equal("dropped by the fault plan", o.Cause));
        Assert.All(dropped, o => Assert.Equal(Ms, o.DurationNs));
        Assert.Equal(400 - dropped.Count, outcomes.Count(o => o.IsCompleted));
    }

    [Fact]
    public void Cancellation_ends_a_transfer_and_frees_its_share()
    {
        using var w = World();
        var (canceled, other) = w.Run(async () =>
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(2), w.TimeProvider);
            var c = w.Network.TransferAsync(0, 1, TenMsOfHccs, 1, cancellationToken: cts.Token);
            var o = w.Network.TransferAsync(0, 2, TenMsOfHccs, 1);
            return (await c, await o);
        });
        Assert.Equal(TransferStatus.Canceled, canceled.Status);
        Assert.Equal(2 * Ms, canceled.EndNs);
        Assert.InRange(other.DurationNs - (11 * Ms), 0, HccsRouteLatencyNs);
    }

    [Fact]
    public void Latency_spikes_and_slow_devices_stretch_transfers_inside_their_windows_only()
    {
        var plan = FaultPlan.Scripted(
            new LatencySpikeFault("npu1.*", 0, 1 * Ms, ExtraLatencyNs: 500_000),
            new SlowDeviceFault(3, new Ratio(3, 1), 0, 1 * Ms));
        using var w = World(plan: plan);
        var (spiked, slowed, later) = w.Run(async () =>
        {
            var a = w.Network.TransferAsync(0, 1, 0, 0);
            var b = w.Network.TransferAsync(2, 3, TenMsOfHccs / 10, 1);
            var (ra, rb) = (await a, await b);
            await w.Loop.Delay(5 * Ms);
            return (ra, rb, await w.Network.TransferAsync(2, 3, TenMsOfHccs / 10, 1));
        });
        Assert.Equal(HccsRouteLatencyNs + 500_000, spiked.DurationNs);
        Assert.InRange(slowed.DurationNs - (3 * (HccsRouteLatencyNs + Ms)), 0, 1); // integer rate rounding
        Assert.Equal(HccsRouteLatencyNs + Ms, later.DurationNs);
    }

    [Fact]
    public void Flapping_links_are_down_for_the_first_half_of_each_period()
    {
        var plan = FaultPlan.Scripted(new LinkFlapFault("npu0.hccs.tx", FromNs: 1 * Ms, UntilNs: 5 * Ms, PeriodNs: 2 * Ms));
        using var w = World(plan: plan);
        var link = w.Topology.GetLink("npu0.hccs.tx").Id;
        var states = w.Run(async () =>
        {
            var seen = new List<bool>();
            for (var t = 0; t < 7; t++)
            {
                seen.Add(w.Network.IsLinkUp(link));
                await w.Loop.Delay(Ms);
            }

            return seen;
        });
        // t = 0..6 ms; fault events were queued before each sample, so at equal times they run first.
        Assert.Equal([true, false, true, false, true, true, true], states);
    }

    [Fact]
    public void Link_down_after_n_transfers_lets_n_through()
    {
        var plan = FaultPlan.Scripted(new LinkDownAfterTransfersFault("npu8.roce.rx", Transfers: 2));
        using var w = World(plan: plan);
        var outcomes = w.Run(async () =>
        {
            var list = new List<TransferOutcome>();
            for (var i = 0; i < 4; i++)
            {
                list.Add(await w.Network.TransferAsync(i, 8, 4096, 1));
            }

            return list;
        });
        Assert.Equal([TransferStatus.Completed, TransferStatus.Completed, TransferStatus.Failed, TransferStatus.Failed], outcomes.Select(o => o.Status));
    }

    [Fact]
    public void Jitter_is_seeded_and_only_adds_latency()
    {
        long Run(ulong seed)
        {
            using var w = new SimulatedWorld(seed, Topology.A2());
            return w.Run(async () => (await w.Network.TransferAsync(0, 1, 0, 0)).DurationNs);
        }

        Assert.Equal(Run(5), Run(5));
        Assert.True(Run(5) >= HccsRouteLatencyNs);
        Assert.Contains(Enumerable.Range(6, 10).Select(s => Run((ulong)s)), d => d != Run(5));
    }

    [Fact]
    public void A_lost_transfer_waiting_for_its_deadline_can_still_be_canceled()
    {
        using var w = World();
        var outcome = w.Run(async () =>
        {
            w.Network.SetLinkUp(w.Topology.GetLink("npu1.hccs.rx").Id, up: false);
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(1), w.TimeProvider);
            return await w.Network.TransferAsync(0, 1, 4096, 1, deadlineNs: 10 * Ms, cts.Token);
        });
        Assert.Equal(TransferStatus.Canceled, outcome.Status);
        Assert.Equal(1 * Ms, outcome.EndNs);
        Assert.Equal(0, w.Network.PendingTransferCount);
    }

    [Fact]
    public void Host_to_device_transfers_use_PCIe()
    {
        using var w = World();
        var route = w.Topology.FindRoute(Endpoint.Host(0), Endpoint.Npu(3));
        var outcome = w.Run(() => w.Network.TransferAsync(route, 22_000_000, 1));
        Assert.Equal(1_500 + Ms, outcome.DurationNs); // 22 MB at 22 GB/s plus one PCIe hop
        Assert.Contains(w.Trace.Events, e => e.Actor.Name == "host0" && e.Args.Contains(new("route", "npu3.pcie.h2d")));
    }
}
