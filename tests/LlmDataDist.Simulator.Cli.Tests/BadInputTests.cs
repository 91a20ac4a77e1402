namespace LlmDataDist.Simulator.Cli.Tests;

/// <summary>Every bad option or scenario file: exit code 2, one line naming the option (or file and JSON path) and
/// the rule, no stack trace, and nothing written.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    public static TheoryData<string, string> BadOptions => new()
    {
        { "--seed abc", "--seed: must be a whole number 0..18446744073709551615 (got 'abc')" },
        { "--seed -1", "--seed: must be a whole number" },
        { "--rate -5", "--rate: must be a number > 0 and <= 10000000 (got '-5')" },
        { "--rate NaN", "--rate: must be a number > 0" },
        { "--servers 0", "--servers: must be a whole number 1..64 (got '0')" },
        { "--prompts 1.5", "--prompts: must be a whole number 1..1024 (got '1.5')" },
        { "--topology a9", "--topology: must be one of a2, a3 (got 'a9')" },
        { "--profile xx", "--profile: must be one of ce, hx (got 'xx')" },
        { "--model gpt", "--model: must be one of dense-8b, deepseek-r1-mla, glm-5, tiny (got 'gpt')" },
        { "--out --no-files", "--out" },
        { "--duration-ms 0", "--duration-ms: must be a number 0.001..1000000000 (got '0')" },
        { "--frobnicate", "--frobnicate" },
        { "run --transfer push", "--transfer: must be one of pull-blocks, push-blocks, pull-cache, push-cache (got 'push')" },
        { "run --layers-per-call -1", "--layers-per-call: must be a whole number 0..1000 (got '-1')" },
        { "run --layers-per-call 33", "$.transfer.layersPerCall: must be 0 (every layer in one call) .. 32 (the layers of dense-8b) (got 33)" },
        { "run --transfer pull-cache --blocks 24", "$.transfer.poolBlocks: a prompt of up to 3073 tokens needs 25 blocks" },
        { "run --retries 11", "--retries: must be a whole number 0..10 (got '11')" },
        { "run --prompts 20 --decoders 20", "$.placement: 20P20D needs 40 NPUs but 2xA2 has 16: raise topology.servers (--servers) to at least 5" },
        { "run --blocks 4", "$.transfer.poolBlocks: a prompt of up to 3073 tokens needs 25 blocks of 128 tokens: raise poolBlocks (--blocks) to at least 25" },
        { "run --bytes", "exceeds --max-memory-mb 4096: lower transfer.poolBlocks (--blocks), run without real bytes, or raise --max-memory-mb" },
        { "run --rate 10000000 --duration-ms 100000000", "exceeds --max-wall-s 900" },
        { "run --scenario missing.json", "missing.json: scenario file not found" },
        { "run --calibration nothere.csv", "--calibration: must be an existing CSV file (got 'nothere.csv')" },
        { "bench --calibration nothere.csv", "--calibration: must be an existing CSV file (got 'nothere.csv')" },
        { "sweep --vary foo=1", "--vary: must be key=v1,v2,... with key one of" },
        { "sweep --vary prompts=x", "--vary: prompts: 'x' is not a valid value" },
        { "sweep --vary overlap=maybe", "--vary: overlap: 'maybe' is not a valid value (got 'overlap=maybe')" },
        { "sweep --vary prompts=1 --shard 2/2", "--shard: must be i/n with 0 <= i < n <= 100000 (got '2/2')" },
        { "sweep --vary prompts=1 --parallel 2 --shard 0/2", "--parallel and --shard: use one or the other" },
        { "sweep --vary prompts=1,40", "[point 1: prompts=40 seed=42]: $.placement: 40P2D needs 42 NPUs" },
        { "sweep merge nothere.csv", "nothere.csv: shard CSV not found" },
        { "compare only-one.json", "runs: give at least two summary.json files (got 1)" },
        { "replay nothere.json", "nothere.json: summary.json not found" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void A_bad_option_exits_2_with_one_line_naming_it_and_its_rule(string args, string message)
    {
        var outDir = _cli.PathOf("out");
        var (code, _, error) = _cli.Run([.. args.Split(' '), .. args.StartsWith("sweep merge", StringComparison.Ordinal) || args.StartsWith("--out", StringComparison.Ordinal) ? [] : new[] { "--out", outDir }]);
        Assert.Equal(2, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal); // no stack trace
        Assert.All(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.True(line.Length < 400, line));
        Assert.False(Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any(), "a refused run wrote files");
    }

    public static TheoryData<string, string> BadFiles => new()
    {
        { """{ "seed": "x" }""", "bad.json:1:14: $.seed: must be a whole number 0..18446744073709551615" },
        { """{ "seed": 1, """, "bad.json:1:" },
        { """{ "arrivals": { "rate": 0 } }""", "bad.json: $.arrivals.rate: must be a number > 0 and <= 10000000 requests/s (got 0)" },
        { """{ "arrivals": { "durationMs": -1 } }""", "bad.json: $.arrivals.durationMs: must be 0.001..1000000000 ms (got -1)" },
        { """{ "placement": { "prompts": 0 } }""", "bad.json: $.placement.prompts: must be 1..1024 (got 0)" },
        { """{ "placements": {} }""", "$.placements: unknown property 'placements'" },
        { """{ "topology": { "preset": "a5" } }""", "bad.json: $.topology.preset: must be a2 or a3 (got 'a5')" },
        { """{ "model": { "preset": "gpt" } }""", "bad.json: $.model.preset: must be one of dense-8b, deepseek-r1-mla, glm-5, tiny, custom (got 'gpt')" },
        { """{ "model": { "preset": "custom", "layers": 2 } }""", "bad.json: $.model.bytesPerTokenPerTensor: custom model: must be 1..16777216 (got nothing)" },
        { """{ "model": { "preset": "tiny", "layers": 2 } }""", "bad.json: $.model: layers, bytesPerTokenPerTensor and blockTokens need preset custom" },
        { """{ "transfer": { "mode": "push" } }""", "bad.json: $.transfer.mode: must be one of pull-blocks, push-blocks, pull-cache, push-cache (got 'push')" },
        { """{ "model": { "preset": "tiny" }, "transfer": { "layersPerCall": 3 } }""", "bad.json: $.transfer.layersPerCall: must be 0 (every layer in one call) .. 2 (the layers of tiny) (got 3)" },
        { """{ "transfer": { "realBytes": "yes" } }""", "$.transfer.realBytes: must be true or false" },
        { """{ "transfer": { "layersPerCall": 8, "overlapPrefill": "yes" } }""", "$.transfer.overlapPrefill: must be true or false" },
        { """{ "faults": { "linkFlaps": [ { "link": "npu99.roce.tx", "fromMs": 1, "untilMs": 2 } ] } }""", "bad.json: $.faults.linkFlaps[0].link: 'npu99.roce.tx' matches no link of" },
        { """{ "faults": { "linkFlaps": [ { "link": "npu0.*", "fromMs": 5, "untilMs": 2 } ] } }""", "bad.json: $.faults.linkFlaps[0].untilMs: must be after fromMs (5)" },
        { """{ "faults": { "linkDowns": [ { "link": "*", "atMs": 1, "durationMs": 0 } ] } }""", "bad.json: $.faults.linkDowns[0].durationMs: must be > 0" },
        { """{ "faults": { "transferDropPercent": 101 } }""", "bad.json: $.faults.transferDropPercent: must be 0..100 (got 101)" },
        { """{ "arrivals": { "traceCsv": "arrivals.csv" } }""", "bad.json: $.arrivals.traceCsv: " },
        { """null""", "bad.json: $: must be a JSON object, not null" },
        { """{ "topology": { "file": "lab.json", "servers": 2 } }""", "bad.json: $.topology: give the topology one way: a preset (preset, servers, what-if figures), file, or custom; this gives servers, file" },
        { """{ "topology": { "preset": "a2", "custom": {} } }""", "bad.json: $.topology: give the topology one way: a preset (preset, servers, what-if figures), file, or custom; this gives preset, custom" },
        { """{ "topology": { "file": "nothere.json" } }""", "bad.json: $.topology.file: topology file not found: " },
        { """{ "topology": { "file": "broken.json" } }""", "bad.json: $.topology.file: " },
        { """{ "topology": { "custom": { "name": "x", "servers": [], "npus": [ { "server": "a", "hbmBytes": 1 } ] } } }""", "bad.json: $.topology.custom.npus[0].server: must be a whole number" },
        { """{ "topology": { "custom": { "name": "x", "platform": "A9", "servers": [], "npus": [] } } }""", "bad.json: $.topology.custom.platform: must be A2, A3 or null" },
        { """{ "topology": { "custom": { "name": "x", "servers": [ { "model": "m", "hostMemoryBytes": 1, "hccsDomain": 0 } ], "npus": [ { "server": 3, "hbmBytes": 1 } ] } } }""", "bad.json: $.topology.custom: not a valid topology: an NPU's server must index the servers list (0-based)" },
        { """{ "topology": { "custom": { "name": "one", "servers": [ { "model": "m", "hostMemoryBytes": 1, "hccsDomain": 0 } ], "npus": [ { "server": 0, "hbmBytes": 1 } ] } } }""", "bad.json: $.placement: 1P1D needs 2 NPUs but one has 1: list more NPUs in the topology" },
        { LabWithoutRoce, "bad.json: $.placement: prompt npu0 and decoder npu1 have no route in no-roce: both need a RoCE port, or HCCS ports in one HCCS domain" },
        { """{ "topology": { "hccs": { "gbps": 100 } } }""", "bad.json: $.topology.hccs.gbps: HCCS has no published line rate: give bandwidthGBps (its port capacity in GB/s)" },
        { """{ "topology": { "roce": { "gbps": 400, "bandwidthGBps": 50 } } }""", "bad.json: $.topology.roce: give gbps (line rate) or bandwidthGBps (capacity), not both" },
        { """{ "topology": { "roce": { "gbps": 0 } } }""", "bad.json: $.topology.roce.gbps: must be a number of Gb/s > 0 and <= 100000 (got 0)" },
        { """{ "topology": { "hccs": { "bandwidthGBps": -1 } } }""", "bad.json: $.topology.hccs.bandwidthGBps: must be a number of GB/s > 0 and <= 100000 (got -1)" },
        { """{ "topology": { "roce": { "latencyUs": -1 } } }""", "bad.json: $.topology.roce.latencyUs: must be 0..1000000 µs (got -1)" },
        { """{ "topology": { "roce": { "speed": 1 } } }""", "$.topology.roce.speed: unknown property 'speed'" },
        { """{ "topology": { "preset": "a2", "serversPerSuperNode": 4 } }""", "bad.json: $.topology.serversPerSuperNode: a3 only (a2 servers are their own HCCS domain)" },
        { """{ "topology": { "npusPerServer": 0 } }""", "bad.json: $.topology.npusPerServer: must be 1..64 (got 0)" },
        { """{ "topology": { "hbmGiB": 0 } }""", "bad.json: $.topology.hbmGiB: must be a number of GiB > 0" },
        { """{ "topology": { "hbmGiB": 1 } }""", "bad.json: $.transfer.poolBlocks: a pool of 1024 blocks of dense-8b needs 16.0 GiB per instance but npu0 has 1.0 GiB of HBM: lower poolBlocks (--blocks) to at most 64" },
        { """{ "placement": { "strategy": "random" } }""", "bad.json: $.placement.strategy: must be packed or interleaved (got 'random')" },
        { """{ "placement": { "strategy": "packed", "promptNpus": [0], "decoderNpus": [1] } }""", "bad.json: $.placement.strategy: give a strategy or explicit promptNpus and decoderNpus, not both" },
        { """{ "placement": { "promptNpus": [0] } }""", "bad.json: $.placement: promptNpus and decoderNpus go together: give both" },
        { """{ "placement": { "promptNpus": [0, 1], "decoderNpus": [2] } }""", "bad.json: $.placement.promptNpus: lists 2 NPUs but placement.prompts is 1: one NPU per instance" },
        { """{ "placement": { "promptNpus": [16], "decoderNpus": [2] } }""", "bad.json: $.placement.promptNpus[0]: npu16 is not in A2x2 (NPUs 0..15)" },
        { """{ "placement": { "promptNpus": [3], "decoderNpus": [3] } }""", "bad.json: $.placement.decoderNpus[0]: npu3 is already given to prompt 0: one instance per NPU" },
        { """{ "placement": { "promptNpus": ["npu3"], "decoderNpus": [4] } }""", "$.placement.promptNpus[0]: must be a whole number" },
    };

    // Two servers whose NPUs have HCCS ports only: no pair across them can move KV.
    private const string LabWithoutRoce = """
        { "topology": { "custom": { "name": "no-roce", "platform": null,
            "servers": [ { "model": "m", "hostMemoryBytes": 1099511627776, "hccsDomain": 0 }, { "model": "m", "hostMemoryBytes": 1099511627776, "hccsDomain": 1 } ],
            "npus": [
              { "server": 0, "hbmBytes": 68719476736, "hccs": { "bandwidthBytesPerSecond": 20000000000, "latencyNs": 1000, "perBlockNs": 1000, "jitterNsMean": 0 } },
              { "server": 1, "hbmBytes": 68719476736, "hccs": { "bandwidthBytesPerSecond": 20000000000, "latencyNs": 1000, "perBlockNs": 1000, "jitterNsMean": 0 } } ] } },
          "placement": { "promptNpus": [0], "decoderNpus": [1] } }
        """;

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_bad_scenario_file_exits_2_naming_file_path_and_rule_and_runs_nothing(string json, string message)
    {
        _cli.Write("arrivals.csv", "arrival_ms,prompt_tokens,output_tokens\n0,100,4\n5,abc,4\n");
        _cli.Write("lab.json", Topology.A2(1).ToJson());
        _cli.Write("broken.json", "{ \"name\": \"x\", \"servers\": [ ");
        var path = _cli.Write("bad.json", json);
        var outDir = _cli.PathOf("out");
        var (code, _, error) = _cli.Run("run", "--scenario", path, "--out", outDir);
        Assert.Equal(2, code);
        Assert.Contains(message, error.Replace(path, "bad.json", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir), "a refused run wrote files");
    }

    public static TheoryData<string, string> BadYamlFiles => new()
    {
        { "seed: x\n", "bad.yaml:1:1: $.seed: must be a whole number 0..18446744073709551615" },
        { "name: ok\narrivals:\n  rate: 0\n", "bad.yaml:3:3: $.arrivals.rate: must be a number > 0 and <= 10000000 requests/s (got 0)" },
        { "placements: {}\n", "bad.yaml:1:1: $.placements: unknown property 'placements'" },
        { "name: 2024\n", "bad.yaml:1:1: $.name: must be a string" },
        { "name: [unclosed\n", "bad.yaml:2:1: $: not valid YAML: " },
        { "seed: 1\nseed: 2\n", "bad.yaml:2:1: $: not valid YAML: Duplicate key seed" },
        { "- 1\n- 2\n", "bad.yaml:1:1: $: must be a mapping of scenario sections" },
        { "seed: 1\n---\nseed: 2\n", "bad.yaml:3:1: $: a scenario is one YAML document (got 2)" },
        { "", "bad.yaml:1:1: $: a scenario is one YAML document (got 0)" },
        { "faults:\n  linkFlaps:\n    - link: npu99.roce.tx\n      fromMs: 1\n      untilMs: 2\n", "bad.yaml:3:7: $.faults.linkFlaps[0].link: 'npu99.roce.tx' matches no link of A2x2" },
        { "topology:\n  preset: a2\n  file: lab.json\n", "bad.yaml:1:1: $.topology: give the topology one way" },
        { "topology:\n  roce: { gbps: 0 }\n", "bad.yaml:2:11: $.topology.roce.gbps: must be a number of Gb/s > 0" },
        { "placement:\n  promptNpus: [0, 99]\n  decoderNpus: [1, 2]\n", "bad.yaml:2:3: $.placement.promptNpus: lists 2 NPUs but placement.prompts is 1" },
        { "placement:\n  promptNpus: [0, 99]\n  decoderNpus: [1, 2]\n", "bad.yaml:2:19: $.placement.promptNpus[1]: npu99 is not in A2x2" },
        { "decode:\n  tokensMean: 1.5\n", "bad.yaml:2:3: $.decode.tokensMean: must be a whole number" },
    };

    [Theory]
    [MemberData(nameof(BadYamlFiles))]
    public void A_bad_yaml_file_exits_2_naming_file_line_column_path_and_rule_and_runs_nothing(string yaml, string message)
    {
        _cli.Write("lab.json", Topology.A2(1).ToJson());
        var path = _cli.Write("bad.yaml", yaml);
        var outDir = _cli.PathOf("out");
        var (code, _, error) = _cli.Run("run", "--scenario", path, "--out", outDir);
        Assert.Equal(2, code);
        Assert.Contains(message, error.Replace(path, "bad.yaml", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir), "a refused run wrote files");
    }

    [Fact]
    public void Preset_options_on_a_file_with_its_own_topology_are_refused()
    {
        _cli.Write("lab.json", Topology.A2(1).ToJson());
        var path = _cli.Write("custom.json", """{ "topology": { "file": "lab.json" } }""");
        var (code, _, error) = _cli.Run("run", "--scenario", path, "--servers", "4", "--no-files");
        Assert.Equal(2, code);
        Assert.Contains("$.topology: give the topology one way: a preset (preset, servers, what-if figures), file, or custom; this gives servers, file (--topology and --servers set preset and servers)", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Several_problems_in_one_file_are_all_reported_at_once()
    {
        var path = _cli.Write("bad.json", """{ "arrivals": { "rate": -1 }, "placement": { "decoders": 0 }, "profile": "zz" }""");
        var (code, _, error) = _cli.Run("run", "--scenario", path, "--no-files");
        Assert.Equal(2, code);
        Assert.Contains("$.arrivals.rate", error, StringComparison.Ordinal);
        Assert.Contains("$.placement.decoders", error, StringComparison.Ordinal);
        Assert.Contains("$.profile", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_and_version_exit_0()
    {
        var (code, output, _) = _cli.Run("run", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--scenario", output, StringComparison.Ordinal);
        (code, output, _) = _cli.Run("--version");
        Assert.Equal(0, code);
        Assert.Contains(Cli.Version, output, StringComparison.Ordinal);
    }
}
