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
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_bad_scenario_file_exits_2_naming_file_path_and_rule_and_runs_nothing(string json, string message)
    {
        _cli.Write("arrivals.csv", "arrival_ms,prompt_tokens,output_tokens\n0,100,4\n5,abc,4\n");
        var path = _cli.Write("bad.json", json);
        var outDir = _cli.PathOf("out");
        var (code, _, error) = _cli.Run("run", "--scenario", path, "--out", outDir);
        Assert.Equal(2, code);
        Assert.Contains(message, error.Replace(path, "bad.json", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir), "a refused run wrote files");
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
