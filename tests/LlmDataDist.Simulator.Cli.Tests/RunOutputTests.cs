using System.Globalization;
using System.Text.Json;

namespace LlmDataDist.Simulator.Cli.Tests;

public sealed class RunOutputTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void A_run_writes_the_summary_csv_trace_and_a_report_embedding_every_plot()
    {
        var scenario = _cli.Write("small.json", CliHarness.Small);
        var outDir = _cli.PathOf("run");
        var (code, output, error) = _cli.Run("run", "--scenario", scenario, "--out", outDir);
        Assert.True(code == 0, error);
        Assert.DoesNotContain("\u001b[", output, StringComparison.Ordinal); // plain text when not a terminal

        var html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        foreach (var plot in Plots.Files)
        {
            var png = File.ReadAllBytes(Path.Combine(outDir, plot));
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
            Assert.Contains($"alt=\"{plot}\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\"", html, StringComparison.Ordinal);
        }

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        var delivered = summary.RootElement.GetProperty("delivered").GetInt64();
        var requests = summary.RootElement.GetProperty("requests").GetInt64();
        Assert.True(requests > 0);
        Assert.Contains(summary.RootElement.GetProperty("traceHash").GetString()!, html, StringComparison.Ordinal);

        var csv = File.ReadAllLines(Path.Combine(outDir, "transfers.csv"));
        Assert.Equal(RunStats.TransfersHeader, csv[0]);
        Assert.Equal(requests, csv.Length - 1);
        Assert.Equal(delivered, csv.Skip(1).Count(l => l.Split(',')[13] == "ok"));
        Assert.True(JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "trace.json"))).RootElement.GetProperty("traceEvents").GetArrayLength() > 0);
    }

    [Fact]
    public void Replay_reproduces_the_trace_hash_and_reports_a_difference()
    {
        var scenario = _cli.Write("small.json", CliHarness.Small);
        var outDir = _cli.PathOf("run");
        Assert.Equal(0, _cli.Run("run", "--scenario", scenario, "--out", outDir, "--seed", "7", "--chaos", "3").Code);

        var (code, output, error) = _cli.Run("replay", outDir);
        Assert.True(code == 0, error);
        var hash = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json"))).RootElement.GetProperty("traceHash").GetString()!;
        Assert.Contains($"replay ok: trace hash {hash}", output, StringComparison.Ordinal);

        // The saved scenario is what replays: a changed seed in it is a different run.
        var summaryPath = Path.Combine(outDir, "summary.json");
        File.WriteAllText(summaryPath, File.ReadAllText(summaryPath).Replace("\"seed\": 7,", "\"seed\": 8,", StringComparison.Ordinal));
        (code, _, error) = _cli.Run("replay", summaryPath);
        Assert.Equal(1, code);
        Assert.Contains($"replay differs: saved trace hash {hash}", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_puts_runs_side_by_side_and_overlays_their_cdfs()
    {
        var scenario = _cli.Write("small.json", CliHarness.Small);
        Assert.Equal(0, _cli.Run("run", "--scenario", scenario, "--out", _cli.PathOf("a")).Code);
        Assert.Equal(0, _cli.Run("run", "--scenario", scenario, "--out", _cli.PathOf("b"), "--profile", "hx").Code);
        var (code, output, error) = _cli.Run("compare", _cli.PathOf("a"), Path.Combine(_cli.PathOf("b"), "summary.json"), "--out", _cli.PathOf("cmp"));
        Assert.True(code == 0, error);
        Assert.Contains("#1 small", output, StringComparison.Ordinal);
        Assert.Contains("#2 small", output, StringComparison.Ordinal);
        Assert.Contains("pull p50 / p90 / p99 / max", output, StringComparison.Ordinal);
        Assert.True(new FileInfo(Path.Combine(_cli.PathOf("cmp"), "compare-cdf.png")).Length > 1000);
    }

    [Fact]
    public void A_sweep_sharded_two_ways_and_merged_equals_the_unsharded_sweep()
    {
        var scenario = _cli.Write("small.json", CliHarness.Small);
        string[] grid = ["sweep", "--scenario", scenario, "--vary", "decoders=1,2", "--vary", "drop-percent=0,5", "--seeds", "2"];
        Assert.Equal(0, _cli.Run([.. grid, "--out", _cli.PathOf("whole")]).Code);
        Assert.Equal(0, _cli.Run([.. grid, "--shard", "1/2", "--out", _cli.PathOf("s1")]).Code);
        Assert.Equal(0, _cli.Run([.. grid, "--shard", "0/2", "--out", _cli.PathOf("s0")]).Code);
        var merged = _cli.PathOf("merged.csv");
        var (code, _, error) = _cli.Run("sweep", "merge", Path.Combine(_cli.PathOf("s1"), "sweep-shard-1-of-2.csv"), Path.Combine(_cli.PathOf("s0"), "sweep-shard-0-of-2.csv"), "--output", merged);
        Assert.True(code == 0, error);

        var whole = File.ReadAllText(Path.Combine(_cli.PathOf("whole"), "sweep.csv"));
        Assert.Equal(9, whole.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // header + 2 x 2 x 2 points
        Assert.Equal(whole, File.ReadAllText(merged));
        Assert.True(File.Exists(Path.Combine(_cli.PathOf("whole"), "sweep-pull-p99.png")));

        // A missing shard is an error, not a smaller sweep.
        (code, _, error) = _cli.Run("sweep", "merge", Path.Combine(_cli.PathOf("s0"), "sweep-shard-0-of-2.csv"), "--output", merged);
        Assert.Equal(2, code);
        Assert.Contains("are missing", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_committed_schema_is_the_one_the_loader_implies_and_the_built_in_scenario_loads()
    {
        var committed = Path.Combine(RepoRoot(), "docs", "scenario.schema.json");
        Assert.Equal(Cli.Schema(), File.ReadAllText(committed).ReplaceLineEndings("\n").TrimEnd('\n'));
        var file = Scenarios.ScenarioLoader.BuiltIn();
        var spec = Scenarios.ScenarioLoader.Resolve(file, "built-in", ".");
        Assert.Equal(2, spec.Prompts);
        Assert.Equal(2, spec.Decoders);
        Assert.Single(spec.Faults!.Script);
        foreach (var example in Directory.EnumerateFiles(Path.Combine(RepoRoot(), "docs", "scenarios")).Where(f => Path.GetExtension(f) is ".json" or ".yaml" or ".yml"))
        {
            Scenarios.ScenarioLoader.Resolve(Scenarios.ScenarioLoader.Load(example), example, Path.GetDirectoryName(example)!);
        }
    }

    [Fact]
    public void Bench_puts_every_published_point_next_to_its_simulation_and_run_accepts_a_calibration_file()
    {
        var (code, output, error) = _cli.Run("bench", "--out", _cli.PathOf("bench"));
        Assert.True(code == 0, error);
        var points = CalibrationData.Published.Points.Count;
        Assert.Equal(points + 1, File.ReadAllLines(Path.Combine(_cli.PathOf("bench"), "bench.csv")).Length);
        Assert.Contains($"calibration: {points} points", output, StringComparison.Ordinal);

        // The published table as a user file: the fitted model prices the run exactly as the built-in one.
        var csv = _cli.Write("mine.csv", CalibrationData.Published.ToCsv());
        var scenario = _cli.Write("small.json", CliHarness.Small);
        Assert.Equal(0, _cli.Run("run", "--scenario", scenario, "--out", _cli.PathOf("builtin")).Code);
        Assert.Equal(0, _cli.Run("run", "--scenario", scenario, "--out", _cli.PathOf("mine"), "--calibration", csv).Code);
        string Hash(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(_cli.PathOf(dir), "summary.json"))).RootElement.GetProperty("traceHash").GetString()!;
        Assert.Equal(Hash("builtin"), Hash("mine"));
        Assert.Equal(0, _cli.Run("replay", _cli.PathOf("mine")).Code);

        var bad = _cli.Write("bad.csv", "platform,transport,path,direction,block_bytes,total_bytes,gbps\nA9,RoCE,hixl_cs,D2rD,1,1,1\n");
        (code, _, error) = _cli.Run("run", "--scenario", scenario, "--no-files", "--calibration", bad);
        Assert.Equal(2, code);
        Assert.Contains("$.topology.calibrationCsv: ", error, StringComparison.Ordinal);
        Assert.Contains(":2", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Requests_arrive_as_a_trace_csv_lists_them_and_real_bytes_are_verified()
    {
        _cli.Write("arrivals.csv", "arrival_ms,prompt_tokens,output_tokens\n0,100,2\n1.5,300,0\n1.5,50,8\n40,2000,1\n");
        var scenario = _cli.Write("trace.json", """
            { "name": "trace", "model": { "preset": "tiny" }, "transfer": { "realBytes": true, "poolBlocks": 256 },
              "arrivals": { "traceCsv": "arrivals.csv", "durationMs": 100 } }
            """);
        var (code, output, error) = _cli.Run("run", "--scenario", scenario, "--out", _cli.PathOf("run"));
        Assert.True(code == 0, error);
        var csv = File.ReadAllLines(Path.Combine(_cli.PathOf("run"), "transfers.csv")).Skip(1).Select(l => l.Split(',')).OrderBy(c => int.Parse(c[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(["100", "300", "50", "2000"], csv.Select(c => c[4]));
        Assert.All(csv, c => Assert.Equal("yes", c[14]));
        Assert.Contains("bytes verified / corrupted", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ce", "push-blocks", 0)]
    [InlineData("hx", "pull-cache", 1)]
    [InlineData("ce", "push-cache", 1)]
    [InlineData("ce", "pull-blocks", 2)]
    [InlineData("hx", "push-blocks", 1)]
    public void Every_transfer_mode_runs_from_the_command_line_and_its_bytes_are_verified(string profile, string mode, int layersPerCall)
    {
        var (code, output, error) = _cli.Run("run", "--profile", profile, "--transfer", mode, "--layers-per-call", layersPerCall.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--model", "tiny", "--bytes", "--prompt-tokens", "128", "--requests", "12", "--out", _cli.PathOf("run"));
        Assert.True(code == 0, error);
        var csv = File.ReadAllLines(Path.Combine(_cli.PathOf("run"), "transfers.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(12, csv.Count);
        Assert.All(csv, c => Assert.Equal("yes", c[14]));
        // summary.json keeps the mode, so replay runs the same transfers and finds the same hash.
        var transfer = JsonDocument.Parse(File.ReadAllText(Path.Combine(_cli.PathOf("run"), "summary.json"))).RootElement.GetProperty("scenario").GetProperty("transfer");
        Assert.Equal(mode, transfer.GetProperty("mode").GetString());
        Assert.Equal(layersPerCall, transfer.GetProperty("layersPerCall").GetInt32());
        Assert.Equal(0, _cli.Run("replay", _cli.PathOf("run")).Code);
        Assert.Contains("bytes verified / corrupted", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Layer_wise_transfer_overlapping_prefill_exposes_less_transfer_and_every_output_says_so()
    {
        string[] run = ["run", "--prompts", "2", "--decoders", "2", "--transfer", "push-blocks", "--layers-per-call", "8", "--rate", "40", "--duration-ms", "400", "--output-tokens", "4"];
        var (code, output, error) = _cli.Run([.. run, "--out", _cli.PathOf("overlap")]);
        Assert.True(code == 0, error);
        Assert.Contains("exposed transfer p50 / p90 / p99 / mean", output, StringComparison.Ordinal);
        Assert.Contains("arrival→first decode step p50 / p90 / p99", output, StringComparison.Ordinal);
        (code, _, error) = _cli.Run([.. run, "--no-overlap", "--out", _cli.PathOf("after")]);
        Assert.True(code == 0, error);

        JsonElement Summary(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(_cli.PathOf(dir), "summary.json"))).RootElement;
        double Exposed(string dir, string figure) => Summary(dir).GetProperty("exposedMs").GetProperty(figure).GetDouble();
        Assert.True(Summary("overlap").GetProperty("scenario").GetProperty("transfer").GetProperty("overlapPrefill").GetBoolean());
        Assert.False(Summary("after").GetProperty("scenario").GetProperty("transfer").GetProperty("overlapPrefill").GetBoolean());
        foreach (var figure in new[] { "p50", "p99", "mean" })
        {
            Assert.True(Exposed("overlap", figure) < Exposed("after", figure), $"{figure}: overlapped {Exposed("overlap", figure)} ms, after prefill {Exposed("after", figure)} ms");
        }

        // After prefill the whole transfer is exposed; overlapped, less than the whole transfer is.
        Assert.Equal(Summary("after").GetProperty("pullMs").GetProperty("p50").GetDouble(), Exposed("after", "p50"), 3);
        Assert.True(Exposed("overlap", "p50") < Summary("overlap").GetProperty("pullMs").GetProperty("p50").GetDouble());
        Assert.NotEmpty(Summary("overlap").GetProperty("exposedCdf").EnumerateArray());

        // transfers.csv: exposed_ns of a delivered request is positive and part of its arrival-to-ready time.
        var csv = File.ReadAllLines(Path.Combine(_cli.PathOf("overlap"), "transfers.csv"));
        var columns = csv[0].Split(',');
        var (exposedAt, readyAt, outcomeAt) = (Array.IndexOf(columns, "exposed_ns"), Array.IndexOf(columns, "ready_ns"), Array.IndexOf(columns, "outcome"));
        var delivered = csv.Skip(1).Select(l => l.Split(',')).Where(c => c[outcomeAt] == "ok").ToList();
        Assert.NotEmpty(delivered);
        Assert.All(delivered, c => Assert.InRange(long.Parse(c[exposedAt], CultureInfo.InvariantCulture), 1, long.Parse(c[readyAt], CultureInfo.InvariantCulture)));
        Assert.Equal(0, _cli.Run("replay", _cli.PathOf("overlap")).Code);

        (code, output, error) = _cli.Run("compare", _cli.PathOf("overlap"), _cli.PathOf("after"), "--out", _cli.PathOf("cmp"));
        Assert.True(code == 0, error);
        Assert.Contains("exposed transfer p50 / p90 / p99 / mean", output, StringComparison.Ordinal);
        Assert.True(new FileInfo(Path.Combine(_cli.PathOf("cmp"), "compare-exposed-cdf.png")).Length > 1000);
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
