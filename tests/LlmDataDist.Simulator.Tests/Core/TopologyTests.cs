using LlmDataDist.Simulator;

namespace LlmDataDist.Simulator.Tests.Core;

public class TopologyTests
{
    [Fact]
    public void A2_preset_has_eight_64GiB_NPUs_per_server_with_HCCS_RoCE_and_PCIe_ports()
    {
        var t = Topology.A2(servers: 2);
        Assert.Equal(2, t.Servers.Count);
        Assert.Equal(16, t.Npus.Count);
        Assert.Equal(16 * 6, t.Links.Count);
        Assert.All(t.Npus, n => Assert.Equal(64L << 30, n.HbmBytes));
        Assert.Equal(Enumerable.Range(0, 8), t.NpusOf(1).Select(n => n.DeviceId));
        Assert.Equal(8, t.NpusOf(1)[0].Id);
        var roce = t.GetLink("npu3.roce.tx");
        Assert.Equal(LinkKind.Roce, roce.Kind);
        // The port carries every engine path: its capacity is the fastest calibrated A2 RoCE path, within line rate.
        var a2Roce = LatencyModel.Default.Paths.Where(p => p.Key.Platform == Platform.A2 && p.Key.Transport == LinkKind.Roce).ToList();
        Assert.Equal(a2Roce.Max(p => p.Timing.BandwidthBytesPerSecond), roce.BandwidthBytesPerSecond);
        Assert.InRange(roce.BandwidthBytesPerSecond, 23_700_000_000, 200_000_000_000 / 8); // published plateau .. 200 Gb/s line rate
        Assert.Equal(HardwareDefaults.Pcie4, t.GetLink("npu3.pcie.h2d").Parameters);
    }

    [Fact]
    public void A2_routes_use_HCCS_inside_a_server_and_RoCE_between_servers()
    {
        var t = Topology.A2(servers: 2);
        Assert.Equal(["npu0.hccs.tx", "npu5.hccs.rx"], t.FindRoute(0, 5).Hops.Select(h => h.Name));
        Assert.Equal(["npu2.roce.tx", "npu9.roce.rx"], t.FindRoute(2, 9).Hops.Select(h => h.Name));
        Assert.Equal(["npu0.roce.tx", "npu5.roce.rx"], t.FindRoute(0, 5, LinkKind.Roce).Hops.Select(h => h.Name));
        Assert.Throws<ArgumentException>(() => t.FindRoute(0, 9, LinkKind.Hccs));
        Assert.Empty(t.FindRoute(4, 4).Hops);
        Assert.Equal(["npu9.pcie.h2d"], t.FindRoute(Endpoint.Host(1), Endpoint.Npu(9)).Hops.Select(h => h.Name));
        Assert.Equal(["npu9.pcie.d2h"], t.FindRoute(Endpoint.Npu(9), Endpoint.Host(1)).Hops.Select(h => h.Name));
        Assert.False(t.TryFindRoute(Endpoint.Host(0), Endpoint.Npu(9), null, out _));
        var route = t.FindRoute(2, 9);
        Assert.Equal(4_000, route.LatencyNs);
        Assert.Equal((long)Math.Ceiling(LatencyModel.Default.Paths.Where(p => p.Key.Platform == Platform.A2 && p.Key.Transport == LinkKind.Roce).Min(p => p.Timing.PerBlockNs)),
            route.PerBlockNs);
    }

    [Fact]
    public void A3_preset_spans_HCCS_across_the_servers_of_a_super_node()
    {
        var t = Topology.A3(servers: 3, serversPerSuperNode: 2);
        Assert.Equal(48, t.Npus.Count);
        Assert.Equal(["npu1.hccs.tx", "npu20.hccs.rx"], t.FindRoute(1, 20).Hops.Select(h => h.Name)); // servers 0 -> 1
        Assert.Equal(["npu1.roce.tx", "npu40.roce.rx"], t.FindRoute(1, 40).Hops.Select(h => h.Name)); // other super-node
        Assert.Equal(16, Topology.A3().Npus.Count);

        // Engine transfers between two servers of a super-node are priced by the two-server figures, not one server's.
        var across = t.FindRoute(1, 20, TransferPath.CommDomain, TransferDirection.Push);
        var inside = t.FindRoute(1, 2, TransferPath.CommDomain, TransferDirection.Push);
        Assert.Equal(new PathKey(Platform.A3, LinkKind.Hccs, LinkScope.TwoServers, TransferPath.CommDomain, TransferDirection.Push),
            t.PathKeyOf(across, TransferPath.CommDomain, TransferDirection.Push));
        Assert.Equal(LatencyModel.Default.Timing(new PathKey(Platform.A3, LinkKind.Hccs, LinkScope.TwoServers, TransferPath.CommDomain, TransferDirection.Push)), across.Timing);
        Assert.True(across.IdealDurationNs(128L << 20, 8192) > 3 * inside.IdealDurationNs(128L << 20, 8192)); // 3.5 vs 12.5+ GB/s at 16 KiB
    }

    [Fact]
    public void Link_patterns_match_exact_names_prefixes_and_all()
    {
        var t = Topology.A2();
        Assert.Single(t.MatchLinks("npu3.roce.tx"));
        Assert.Equal(6, t.MatchLinks("npu3.*").Count);
        Assert.Empty(t.MatchLinks("npu*.roce.*")); // "*" only works at the end
        Assert.Equal(t.Links.Count, t.MatchLinks("*").Count);
        Assert.Empty(t.MatchLinks("npu99.*"));
    }

    [Fact]
    public void Builder_makes_custom_topologies_with_missing_ports()
    {
        var b = new TopologyBuilder("custom");
        var s0 = b.AddServer("box", 1L << 30);
        var s1 = b.AddServer("box", 1L << 30);
        var a = b.AddNpu(s0, 1L << 30, hccs: null, roce: new LinkParameters(10_000_000_000, 500, 0, 0), pcie: null);
        var c = b.AddNpu(s1, 1L << 30, hccs: null, roce: new LinkParameters(5_000_000_000, 700, 0, 0), pcie: null);
        var d = b.AddNpu(s1, 1L << 30, hccs: null, roce: null, pcie: null);
        var t = b.Build();
        var route = t.FindRoute(a, c);
        Assert.Equal(5_000_000_000, route.BandwidthBytesPerSecond);
        Assert.Equal(1_200, route.LatencyNs);
        Assert.False(t.TryFindRoute(Endpoint.Npu(a), Endpoint.Npu(d), null, out _));
        Assert.Equal(1, t.Npus[d].DeviceId);
    }

    [Fact]
    public void Json_round_trip_preserves_everything()
    {
        foreach (var original in new[] { Topology.A2(2), Topology.A3(2, serversPerSuperNode: 1) })
        {
            var json = original.ToJson();
            var copy = Topology.FromJson(json);
            Assert.Equal(json, copy.ToJson());
            Assert.Equal(original.Name, copy.Name);
            Assert.Equal(original.Servers, copy.Servers);
            Assert.Equal(original.Npus, copy.Npus);
            Assert.Equal(original.Links, copy.Links);
        }

        Assert.Contains($"\"bandwidthBytesPerSecond\": {HardwareDefaults.A2Hccs.BandwidthBytesPerSecond}", Topology.A2().ToJson(), StringComparison.Ordinal);
        Assert.Contains("\"platform\": \"A2\"", Topology.A2().ToJson(), StringComparison.Ordinal);
        Assert.Equal(Platform.A3, Topology.FromJson(Topology.A3().ToJson()).Platform);
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => Topology.FromJson("{\"name\":\"x\",\"servers\":[],\"npus\":[],\"extra\":1}"));
    }
}
