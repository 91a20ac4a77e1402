using System.Text.Json;
using LlmDataDist.Simulator.Cli.Scenarios;
using LlmDataDist.Simulator.Scenarios;

namespace LlmDataDist.Simulator.Cli.Tests;

/// <summary>Topologies (preset with what-if figures, file, inline), placements and YAML: good files load to what
/// they say, overrides move transfer times the way they should, and YAML runs like its JSON twin.</summary>
public sealed class ScenarioFileTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private ScenarioSpec Resolve(string name, string text)
    {
        var path = _cli.Write(name, text);
        return ScenarioLoader.Resolve(ScenarioLoader.Load(path), path, _cli.Directory);
    }

    /// <summary>Two servers of two NPUs, A2 pricing, server 1's NPUs with half the HBM: not a preset.</summary>
    private static Topology Lab()
    {
        var builder = new TopologyBuilder("lab") { Platform = Platform.A2 };
        for (var s = 0; s < 2; s++)
        {
            var server = builder.AddServer("lab box", 1L << 39);
            for (var d = 0; d < 2; d++)
            {
                builder.AddNpu(server, (64L << 30) >> s, HardwareDefaults.A2Hccs, HardwareDefaults.A2Roce, HardwareDefaults.Pcie4);
            }
        }

        return builder.Build();
    }

    [Fact]
    public void A_topology_file_an_inline_custom_topology_and_its_yaml_form_load_to_the_same_topology()
    {
        var lab = Lab().ToJson();
        Directory.CreateDirectory(_cli.PathOf("topologies"));
        File.WriteAllText(Path.Combine(_cli.PathOf("topologies"), "lab.json"), lab);

        var fromFile = Resolve("file.json", """{ "topology": { "file": "topologies/lab.json" }, "placement": { "prompts": 1, "decoders": 2 } }""");
        var inline = Resolve("inline.json", $$"""{ "topology": { "custom": {{lab}} }, "placement": { "prompts": 1, "decoders": 2 } }""");
        var yamlTopology = string.Join('\n', lab.Split('\n').Select(line => "    " + line)); // JSON is YAML: indent it under custom:
        var yaml = Resolve("inline.yaml", $"topology:\n  custom:\n{yamlTopology}\nplacement: {{ prompts: 1, decoders: 2 }}\n");

        foreach (var spec in new[] { fromFile, inline, yaml })
        {
            Assert.Equal(lab, spec.Topology!.ToJson());
            Assert.Equal("custom", spec.TopologyKind);
            Assert.Equal([0], spec.Placement!.PromptNpus);
            Assert.Equal([2, 3], spec.Placement.DecoderNpus); // packed: decoders from the next server on
        }

        // summary.json inlines the file, so the saved run replays wherever it is moved.
        var outDir = _cli.PathOf("run");
        Assert.Equal(0, _cli.Run("run", "--scenario", _cli.PathOf("file.json"), "--out", outDir, "--requests", "5").Code);
        var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json"))).RootElement.GetProperty("scenario").GetProperty("topology");
        Assert.False(saved.TryGetProperty("file", out _));
        Assert.Equal("lab", saved.GetProperty("custom").GetProperty("name").GetString());
        File.Delete(Path.Combine(_cli.PathOf("topologies"), "lab.json"));
        var (code, output, error) = _cli.Run("replay", outDir);
        Assert.True(code == 0, error);
        Assert.Contains("replay ok", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_preset_with_what_if_figures_builds_those_servers_and_ports_and_a_plain_preset_is_the_preset()
    {
        var plain = Resolve("plain.json", """{ "topology": { "preset": "a2", "servers": 2 } }""");
        Assert.Equal(Topology.A2(2).ToJson(), plain.Topology!.ToJson());

        var spec = Resolve("whatif.json", """
            { "topology": { "preset": "a2", "servers": 3, "npusPerServer": 4, "hbmGiB": 32,
                            "roce": { "gbps": 400, "latencyUs": 5 }, "hccs": { "bandwidthGBps": 50 } } }
            """);
        var topology = spec.Topology!;
        var preset = Topology.A2(1);
        Assert.Equal(3, topology.Servers.Count);
        Assert.Equal(12, topology.Npus.Count);
        Assert.All(Enumerable.Range(0, 3), s => Assert.Equal(4, topology.NpusOf(s).Count));
        Assert.All(topology.Npus, n => Assert.Equal(32L << 30, n.HbmBytes));
        var roce = topology.Port(0, LinkKind.Roce, LinkDirection.Out)!;
        var presetRoce = preset.Port(0, LinkKind.Roce, LinkDirection.Out)!;
        Assert.Equal(2 * presetRoce.BandwidthBytesPerSecond, roce.BandwidthBytesPerSecond);
        Assert.Equal(5_000, roce.LatencyNs);
        Assert.Equal(presetRoce.PerBlockNs, roce.PerBlockNs); // the descriptor cost stays calibrated
        Assert.InRange(topology.Port(0, LinkKind.Hccs, LinkDirection.Out)!.BandwidthBytesPerSecond, 50_000_000_000 - 2, 50_000_000_000 + 2);
        Assert.Equal(preset.Port(0, LinkKind.Hccs, LinkDirection.Out)!.LatencyNs, topology.Port(0, LinkKind.Hccs, LinkDirection.Out)!.LatencyNs);

        // The calibrated paths scale with the port: the path a CE pull over RoCE takes has twice the plateau, same g and p.
        var key = new PathKey(Platform.A2, LinkKind.Roce, LinkScope.TwoServers, TransferPath.CommDomain, TransferDirection.Pull);
        var (before, after) = (LatencyModel.Default.Timing(key)!, topology.LatencyModel!.Timing(key)!);
        Assert.Equal(2 * before.BandwidthBytesPerSecond, after.BandwidthBytesPerSecond);
        Assert.Equal(before.PerBlockNs, after.PerBlockNs);
        Assert.Equal(before.Sharpness, after.Sharpness);

        var a3 = Resolve("a3.json", """{ "topology": { "preset": "a3", "servers": 3, "serversPerSuperNode": 2 } }""").Topology!;
        Assert.Equal([0, 0, 1], a3.Servers.Select(s => s.HccsDomain));
    }

    [Fact]
    public void Placements_put_instances_where_they_say_and_the_summary_counts_the_pairs_per_link_class()
    {
        void Expect(string name, string json, int[] prompts, int[] decoders)
        {
            var placement = Resolve(name, json).Placement!;
            Assert.Equal(prompts, placement.PromptNpus);
            Assert.Equal(decoders, placement.DecoderNpus);
        }

        Expect("packed.json", """{ "placement": { "prompts": 2, "decoders": 2 } }""", [0, 1], [8, 9]);
        Expect("inter.json", """{ "placement": { "prompts": 2, "decoders": 2, "strategy": "interleaved" } }""", [0, 2], [1, 3]);
        Expect("uneven.json", """{ "placement": { "prompts": 1, "decoders": 3, "strategy": "interleaved" } }""", [0], [1, 2, 3]);
        Expect("listed.json", """{ "placement": { "prompts": 1, "decoders": 2, "promptNpus": [5], "decoderNpus": [9, 6] } }""", [5], [9, 6]);

        string Row(string file)
        {
            var (code, output, error) = _cli.Run("run", "--scenario", _cli.PathOf(file), "--no-files", "--requests", "5");
            Assert.True(code == 0, error);
            return output.Split('\n').Single(l => l.Contains("| placement", StringComparison.Ordinal));
        }

        Assert.Contains("pairs: 4 roce", Row("packed.json"), StringComparison.Ordinal);
        Assert.Contains("pairs: 4 hccs", Row("inter.json"), StringComparison.Ordinal);
        Assert.Contains("pairs: 1 hccs, 1 roce", Row("listed.json"), StringComparison.Ordinal);
    }

    private RunSummaryView RunSummaryOf(string name, string topology, string placement)
    {
        var path = _cli.Write(name, $$"""
            { "name": "{{name}}", "topology": {{topology}}, "placement": {{placement}},
              "arrivals": { "rate": 10, "durationMs": 1000 }, "decode": { "tokensMean": 2 } }
            """);
        var outDir = _cli.PathOf(name + ".out");
        var (code, _, error) = _cli.Run("run", "--scenario", path, "--out", outDir);
        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json"))).RootElement;
        return new RunSummaryView(
            root.GetProperty("pullMs").GetProperty("p50").GetDouble(),
            root.GetProperty("linkClasses").EnumerateArray().ToDictionary(c => c.GetProperty("class").GetString()!, c => c.GetProperty("achievedGBpsPerPull").GetDouble()));
    }

    private sealed record RunSummaryView(double PullP50Ms, Dictionary<string, double> GBpsPerPull);

    [Fact]
    public void A_faster_port_lowers_pull_latency_on_its_pairs_and_a_slower_hop_raises_it()
    {
        const string OverRoce = """{ "prompts": 1, "decoders": 1 }""";
        var roce = RunSummaryOf("roce-base", """{ "preset": "a2" }""", OverRoce);
        var roce400 = RunSummaryOf("roce-400", """{ "preset": "a2", "roce": { "gbps": 400 } }""", OverRoce);
        var roceSlowHop = RunSummaryOf("roce-slow-hop", """{ "preset": "a2", "roce": { "latencyUs": 500 } }""", OverRoce);
        Assert.Equal(["roce"], roce.GBpsPerPull.Keys);
        Assert.True(roce400.PullP50Ms < roce.PullP50Ms, $"400 Gb/s RoCE p50 {roce400.PullP50Ms} ms, 200 Gb/s {roce.PullP50Ms} ms");
        Assert.True(roce400.GBpsPerPull["roce"] > roce.GBpsPerPull["roce"]);
        Assert.True(roceSlowHop.PullP50Ms > roce.PullP50Ms, $"0.5 ms hops p50 {roceSlowHop.PullP50Ms} ms, default {roce.PullP50Ms} ms");

        // A RoCE what-if leaves an HCCS pair alone; an HCCS one speeds it up.
        const string OverHccs = """{ "prompts": 1, "decoders": 1, "strategy": "interleaved" }""";
        var hccs = RunSummaryOf("hccs-base", """{ "preset": "a2" }""", OverHccs);
        var hccsWithFastRoce = RunSummaryOf("hccs-roce-400", """{ "preset": "a2", "roce": { "gbps": 400 } }""", OverHccs);
        var hccsFast = RunSummaryOf("hccs-fast", """{ "preset": "a2", "hccs": { "bandwidthGBps": 60 } }""", OverHccs);
        Assert.Equal(["hccs"], hccs.GBpsPerPull.Keys);
        Assert.Equal(hccs.PullP50Ms, hccsWithFastRoce.PullP50Ms);
        Assert.True(hccsFast.PullP50Ms < hccs.PullP50Ms, $"60 GB/s HCCS p50 {hccsFast.PullP50Ms} ms, default {hccs.PullP50Ms} ms");
    }

    [Fact]
    public void A_sweep_puts_a_roce_what_if_and_placements_side_by_side()
    {
        var scenario = _cli.Write("small.json", CliHarness.Small);
        var (code, _, error) = _cli.Run("sweep", "--scenario", scenario, "--vary", "placement=packed,interleaved", "--vary", "roce-gbps=200,400", "--out", _cli.PathOf("sweep"));
        Assert.True(code == 0, error);
        var rows = File.ReadAllLines(Path.Combine(_cli.PathOf("sweep"), "sweep.csv"));
        var header = rows[0].Split(',').ToList();
        var points = rows.Skip(1).Select(r => r.Split(',')).ToDictionary(
            c => (c[header.IndexOf("placement")], c[header.IndexOf("roce-gbps")]),
            c => double.Parse(c[header.IndexOf("pull_p50_ms")], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(4, points.Count);
        Assert.True(points[("packed", "400")] < points[("packed", "200")], "packed 1P1D crosses RoCE: a faster port is faster");
        Assert.Equal(points[("interleaved", "200")], points[("interleaved", "400")]); // an HCCS pair does not use RoCE
    }

    [Fact]
    public void Yaml_and_json_of_one_scenario_give_the_same_trace_hash_and_a_yaml_run_replays()
    {
        var json = _cli.Write("twin.json", """
            {
              "name": "twin: 2P2D, interleaved, a flap",
              "seed": 9,
              "topology": { "preset": "a2", "servers": 2, "roce": { "gbps": 400 } },
              "placement": { "prompts": 2, "decoders": 2, "promptNpus": [0, 9], "decoderNpus": [1, 8] },
              "arrivals": { "rate": 40.0, "durationMs": 300 },
              "decode": { "tokensMean": 4, "msPerToken": 0.5 },
              "faults": { "linkFlaps": [ { "link": "npu0.*", "fromMs": 50, "untilMs": 80, "periodMs": 10 } ] }
            }
            """);
        var yaml = _cli.Write("twin.yaml", """
            # the same scenario, in YAML
            name: "twin: 2P2D, interleaved, a flap"
            seed: 9
            topology:
              preset: a2
              servers: 2
              roce: { gbps: 400 }
            placement:
              prompts: 2
              decoders: 2
              promptNpus: [0, 9]
              decoderNpus:
                - 1
                - 8
            arrivals: { rate: 40, durationMs: 3e2 }
            decode:
              tokensMean: 4
              msPerToken: .5
            faults:
              linkFlaps:
                - link: npu0.*
                  fromMs: 50
                  untilMs: 80
                  periodMs: 10
            """);
        string Hash(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(_cli.PathOf(dir), "summary.json"))).RootElement.GetProperty("traceHash").GetString()!;
        var (code, _, error) = _cli.Run("run", "--scenario", json, "--out", _cli.PathOf("json"));
        Assert.True(code == 0, error);
        (code, _, error) = _cli.Run("run", "--scenario", yaml, "--out", _cli.PathOf("yaml"));
        Assert.True(code == 0, error);
        Assert.Equal(Hash("json"), Hash("yaml"));

        var (replayCode, output, replayError) = _cli.Run("replay", _cli.PathOf("yaml"));
        Assert.True(replayCode == 0, replayError);
        Assert.Contains($"replay ok: trace hash {Hash("yaml")}", output, StringComparison.Ordinal);
    }

    public static TheoryData<string> Examples =>
        [.. Directory.EnumerateFiles(Path.Combine(RepoRoot(), "docs", "scenarios")).Where(IsScenario).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    private static bool IsScenario(string path) => Path.GetExtension(path) is ".json" or ".yaml" or ".yml";

    [Theory]
    [MemberData(nameof(Examples))]
    public void Every_example_in_docs_scenarios_runs(string example)
    {
        var path = Path.Combine(RepoRoot(), "docs", "scenarios", example);
        var (code, output, error) = _cli.Run("run", "--scenario", path, "--requests", "20", "--no-files");
        Assert.True(code == 0, error);
        Assert.Contains("| placement", output, StringComparison.Ordinal);

        // A plain preset with the default placement runs exactly as before topologies and placements were given to
        // the spec: the loader's topology and packed placement change no hash.
        var file = ScenarioLoader.Load(path);
        if (file.Topology.File is null && file.Topology.Custom is null && file.Topology.Roce is null && file.Topology.Hccs is null
            && file.Topology.NpusPerServer is null && file.Topology.HbmGiB is null && file.Placement.Strategy is null && file.Placement.PromptNpus is null)
        {
            var spec = ScenarioLoader.Resolve(file, path, Path.GetDirectoryName(path)!) with { MaxRequests = 20 };
            var (given, givenResult) = DisaggregatedScenario.Run(spec);
            var (legacy, legacyResult) = DisaggregatedScenario.Run(spec with { Topology = null, Placement = null });
            given.Dispose();
            legacy.Dispose();
            Assert.Equal(legacyResult.TraceHash, givenResult.TraceHash);
        }
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LlmDataDist.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
