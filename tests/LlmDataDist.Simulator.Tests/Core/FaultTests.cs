using LlmDataDist.Simulator;

namespace LlmDataDist.Simulator.Tests.Core;

public class FaultTests
{
    [Fact]
    public void Chaos_plans_are_reproducible_from_their_seed_and_vary_across_seeds()
    {
        var a = FaultPlan.Chaos(42, clusterIds: [1, 2]);
        var b = FaultPlan.Chaos(42, clusterIds: [1, 2]);
        Assert.Equal(a, b);
        Assert.Equal(a.ToString(), b.ToString());
        Assert.Contains("FaultPlan.Chaos(42", a.ToString(), StringComparison.Ordinal);
        var plans = Enumerable.Range(0, 64).Select(s => FaultPlan.Chaos((ulong)s, clusterIds: [1, 2])).ToList();
        Assert.True(plans.Select(p => p.ToString()).Distinct().Count() > 60);
        // Swarm testing: every kind is enabled in some plans and disabled in others.
        foreach (var kind in new[] { typeof(LinkDownFault), typeof(LinkFlapFault), typeof(LatencySpikeFault), typeof(SlowDeviceFault),
                     typeof(AllocationFailureFault), typeof(LinkEstablishmentFailureFault), typeof(ClusterCrashFault),
                     typeof(ControlPlaneErrorFault), typeof(DeviceUnresponsiveFault), typeof(UnlinkCloseFailureFault), typeof(TransferErrorFault) })
        {
            var with = plans.Count(p => p.Script.Any(f => f.GetType() == kind));
            Assert.InRange(with, 10, 54);
        }

        Assert.InRange(plans.Count(p => !p.TransferDrop.IsZero), 10, 54);
    }

    /// <summary>The kinds added later draw from a stream of their own: a seed's earlier faults stay exactly as they were
    /// (the same kinds, in the same order, with the same parameters), followed by the new kinds.</summary>
    [Fact]
    public void Chaos_keeps_every_seeds_earlier_faults_and_appends_the_later_kinds()
    {
        Type[] later = [typeof(ControlPlaneErrorFault), typeof(DeviceUnresponsiveFault), typeof(UnlinkCloseFailureFault), typeof(TransferErrorFault)];
        foreach (var seed in new ulong[] { 7, 583630700, 869378315 })
        {
            var plan = FaultPlan.Chaos(seed, 4, [1, 2, 3, 4], 60 * SimTime.NsPerMs);
            var firstLater = plan.Script.ToList().FindIndex(f => later.Contains(f.GetType()));
            Assert.True(firstLater < 0 || plan.Script.Skip(firstLater).All(f => later.Contains(f.GetType())), plan.ToString());
        }

        // Seed 869378315 as the sweep that found it printed its plan (issue 8), before the later kinds existed.
        var found = FaultPlan.Chaos(869378315, 2, [1, 2], 60 * SimTime.NsPerMs).Script.Where(f => !later.Contains(f.GetType()));
        Assert.Equal(
            [new SlowDeviceFault(0, new Ratio(5, 1), 4180011, 11178137), new AllocationFailureFault(0, 11), new LinkEstablishmentFailureFault(1, 1, 36521296, 50225510), new ClusterCrashFault(2, 3000009, 3401790)],
            found);
    }

    [Fact]
    public void The_new_fault_kinds_print_for_replay()
    {
        var plan = FaultPlan.Scripted(new ControlPlaneErrorFault(1, 2, ControlMessageKind.UnlinkNotice, 10, 20), new DeviceUnresponsiveFault(3, 5),
            new UnlinkCloseFailureFault(2), new TransferErrorFault(1, 507053));
        var text = plan.ToString();
        Assert.Contains("ControlPlaneErrorFault { ClusterId = 1, RemoteClusterId = 2, Message = UnlinkNotice, FromNs = 10, UntilNs = 20 }", text, StringComparison.Ordinal);
        Assert.Contains("DeviceUnresponsiveFault { Npu = 3, FromNs = 5", text, StringComparison.Ordinal);
        Assert.Contains("UnlinkCloseFailureFault { ClusterId = 2", text, StringComparison.Ordinal);
        Assert.Contains("TransferErrorFault { ClusterId = 1, Code = 507053", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Plans_print_every_fault_for_replay()
    {
        var plan = FaultPlan.Scripted(new LinkDownFault("npu3.*", 1000, 2000), new ClusterCrashFault(7, 5000))
            .WithTransferDrop(new Ratio(1, 50));
        var text = plan.ToString();
        Assert.Contains("drop=1/50", text, StringComparison.Ordinal);
        Assert.Contains("LinkDownFault { Link = npu3.*, AtNs = 1000, ForNs = 2000 }", text, StringComparison.Ordinal);
        Assert.Contains("ClusterCrashFault { ClusterId = 7, AtNs = 5000", text, StringComparison.Ordinal);
        Assert.Equal("FaultPlan(none; drop=0/1)", FaultPlan.None.ToString());
    }

    [Fact]
    public void Injector_answers_backend_queries_in_virtual_time()
    {
        var plan = FaultPlan.Scripted(
            new ClusterCrashFault(7, AtNs: 1_000, RestartAtNs: 5_000),
            new LinkEstablishmentFailureFault(1, 2, FromNs: 100, UntilNs: 200),
            new LinkEstablishmentFailureFault(3, null));
        using var world = new SimulatedWorld(1, Topology.A2(), plan);
        var i = world.Injector;
        Assert.False(i.IsClusterCrashed(7, 999));
        Assert.True(i.IsClusterCrashed(7, 1_000));
        Assert.False(i.IsClusterCrashed(7, 5_000));
        Assert.False(i.IsClusterCrashed(8, 2_000));
        Assert.True(i.IsLinkEstablishmentFailing(1, 2, 150));
        Assert.False(i.IsLinkEstablishmentFailing(1, 2, 200));
        Assert.False(i.IsLinkEstablishmentFailing(2, 1, 150));
        Assert.True(i.IsLinkEstablishmentFailing(3, 99, 1));

        var changes = new List<(long At, ulong Cluster, bool Crashed)>();
        i.ClusterStateChanged += (id, crashed) => changes.Add((world.NowNs, id, crashed));
        world.Run(() => world.Loop.Delay(10_000));
        Assert.Equal([(1_000L, 7UL, true), (5_000L, 7UL, false)], changes);
        Assert.Contains(world.Trace.Events, e => e.Name == "ClusterCrash" && e.TimeNs == 1_000);
    }

    [Fact]
    public void Timed_link_faults_stack_and_heal()
    {
        var plan = FaultPlan.Scripted(
            new LinkDownFault("npu0.hccs.tx", AtNs: 1_000, ForNs: 3_000),
            new LinkDownFault("npu0.*", AtNs: 2_000, ForNs: 3_000));
        using var world = new SimulatedWorld(1, Topology.A2(), plan);
        var link = world.Topology.GetLink("npu0.hccs.tx").Id;
        var samples = world.Run(async () =>
        {
            var seen = new List<bool>();
            foreach (var t in new long[] { 500, 1_500, 4_500, 5_500 })
            {
                await world.Loop.Delay(t - world.NowNs);
                seen.Add(world.Network.IsLinkUp(link));
            }

            return seen;
        });
        Assert.Equal([true, false, false, true], samples); // down 1000..5000: the second fault outlasts the first
    }

    [Fact]
    public void Invalid_plans_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new SimulatedWorld(1, Topology.A2(), FaultPlan.Scripted(new SlowDeviceFault(0, new Ratio(1, 2)))));
        Assert.Throws<ArgumentException>(() => new SimulatedWorld(1, Topology.A2(), FaultPlan.Scripted(new LinkFlapFault("*", 0, 10, 1))));
    }
}
