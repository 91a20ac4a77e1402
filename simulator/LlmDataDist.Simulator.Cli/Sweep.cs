using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using LlmDataDist.Simulator.Cli.Scenarios;
using ScottPlot;
using Spectre.Console;

namespace LlmDataDist.Simulator.Cli;

/// <summary>
/// sweep: one scenario over a grid of values (the cartesian product of every <c>--vary key=v1,v2</c>, seeds innermost),
/// one CSV row per point. Points are numbered, so <c>--shard i/n</c> runs points i, i+n, ... (a Kubernetes Indexed Job or a
/// Slurm array runs one shard per task) and <c>sweep merge</c> joins the shards' CSVs into exactly the unsharded CSV.
/// <c>--parallel N</c> runs N shards as local processes and merges them.
/// </summary>
internal static class Sweep
{
    private static readonly string[] Metrics =
    [
        "requests", "delivered", "pull_p50_ms", "pull_p90_ms", "pull_p99_ms", "ready_p50_ms", "ready_p99_ms", "throughput_req_s",
        "throughput_gb_s", "link_down_events", "retried_pulls", "relinks", "trace_hash", "exposed_p50_ms", "exposed_p99_ms",
    ];

    /// <summary>Keys --vary accepts, and how each sets a scenario value.</summary>
    private static readonly Dictionary<string, Action<ScenarioFile, string>> Keys = new(StringComparer.Ordinal)
    {
        ["seed"] = (f, v) => f.Seed = ulong.Parse(v, CultureInfo.InvariantCulture),
        ["servers"] = (f, v) => f.Topology.Servers = int.Parse(v, CultureInfo.InvariantCulture),
        ["topology"] = (f, v) => f.Topology.Preset = v,
        ["profile"] = (f, v) => f.Profile = v,
        ["prompts"] = (f, v) => f.Placement.Prompts = int.Parse(v, CultureInfo.InvariantCulture),
        ["decoders"] = (f, v) => f.Placement.Decoders = int.Parse(v, CultureInfo.InvariantCulture),
        ["model"] = (f, v) => f.Model = new ModelSection { Preset = v },
        ["block-tokens"] = (f, v) =>
        {
            var preset = LlmDataDist.Simulator.Scenarios.KvModel.Presets.FirstOrDefault(m => m.Name == f.Model.Preset);
            f.Model = new ModelSection
            {
                Preset = "custom",
                Layers = f.Model.Layers ?? preset?.Layers,
                BytesPerTokenPerTensor = f.Model.BytesPerTokenPerTensor ?? preset?.BytesPerTokenPerTensor,
                BlockTokens = int.Parse(v, CultureInfo.InvariantCulture),
            };
        },
        ["rate"] = (f, v) => f.Arrivals.Rate = double.Parse(v, CultureInfo.InvariantCulture),
        ["duration-ms"] = (f, v) => f.Arrivals.DurationMs = double.Parse(v, CultureInfo.InvariantCulture),
        ["requests"] = (f, v) => f.Arrivals.MaxRequests = long.Parse(v, CultureInfo.InvariantCulture),
        ["prompt-tokens"] = (f, v) => f.Prefill.TokensMean = int.Parse(v, CultureInfo.InvariantCulture),
        ["output-tokens"] = (f, v) => f.Decode.TokensMean = int.Parse(v, CultureInfo.InvariantCulture),
        ["blocks"] = (f, v) => f.Transfer.PoolBlocks = int.Parse(v, CultureInfo.InvariantCulture),
        ["retries"] = (f, v) => f.Transfer.Retries = int.Parse(v, CultureInfo.InvariantCulture),
        ["layers-per-call"] = (f, v) => f.Transfer.LayersPerCall = int.Parse(v, CultureInfo.InvariantCulture),
        ["overlap"] = (f, v) => f.Transfer.OverlapPrefill = bool.Parse(v),
        ["drop-percent"] = (f, v) => f.Faults.TransferDropPercent = double.Parse(v, CultureInfo.InvariantCulture),
        ["chaos"] = (f, v) => f.Faults.ChaosSeed = ulong.Parse(v, CultureInfo.InvariantCulture),
        ["placement"] = (f, v) => f.Placement.Strategy = v,
        ["roce-gbps"] = (f, v) =>
        {
            var roce = f.Topology.Roce ??= new PortOverride();
            (roce.Gbps, roce.BandwidthGBps) = (double.Parse(v, CultureInfo.InvariantCulture), null);
        },
    };

    public sealed record Axis(string Key, IReadOnlyList<string> Values);

    public static Command Command(Io io)
    {
        var scenario = new Option<string?>("--scenario", "-s") { Description = "scenario file (default: the built-in one)", HelpName = "file" };
        var vary = new Option<Axis[]>("--vary")
        {
            Description = $"key=v1,v2,... (repeat for a grid); keys: {string.Join(", ", Keys.Keys)}",
            HelpName = "key=values",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
            Required = true,
            CustomParser = result =>
            {
                var axes = new List<Axis>();
                foreach (var token in result.Tokens)
                {
                    var parts = token.Value.Split('=', 2);
                    var values = parts.Length == 2 ? parts[1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [];
                    if (parts.Length != 2 || !Keys.TryGetValue(parts[0], out var set) || values.Length == 0)
                    {
                        result.AddError($"--vary: must be key=v1,v2,... with key one of {string.Join(", ", Keys.Keys)} (got '{token.Value}')");
                        return [];
                    }

                    foreach (var value in values)
                    {
                        try
                        {
                            set(new ScenarioFile(), value);
                        }
                        catch (FormatException)
                        {
                            result.AddError($"--vary: {parts[0]}: '{value}' is not a valid value (got '{token.Value}')");
                            return [];
                        }
                        catch (OverflowException)
                        {
                            result.AddError($"--vary: {parts[0]}: '{value}' is out of range (got '{token.Value}')");
                            return [];
                        }
                    }

                    if (axes.Any(a => a.Key == parts[0]))
                    {
                        result.AddError($"--vary: {parts[0]} is given twice");
                        return [];
                    }

                    axes.Add(new Axis(parts[0], values));
                }

                return [.. axes];
            },
        };
        var seeds = RunOptions.Number<int>("--seeds", "run every point with this many seeds: seed, seed+1, ... (1)", "must be a whole number 1..1000", v => v is >= 1 and <= 1000);
        var parallel = RunOptions.Number<int>("--parallel", "run the grid in this many local processes (1)", "must be a whole number 1..64", v => v is >= 1 and <= 64);
        var shard = new Option<(int Index, int Count)?>("--shard")
        {
            Description = "run only shard i of n (0-based): points i, i+n, ... ; join shards with `sweep merge`",
            HelpName = "i/n",
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
                var parts = text.Split('/');
                if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var i)
                    && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= 100_000 && i < n)
                {
                    return (i, n);
                }

                result.AddError($"--shard: must be i/n with 0 <= i < n <= 100000 (got '{text}')");
                return null;
            },
        };
        var outOption = RunOptions.OutOption("where sweep.csv (or the shard's CSV) and the plots go (artifacts/sweep)");
        var command = new Command("sweep", "Run a scenario over a grid of values: one CSV row per point, comparison plots; scale out with --parallel or --shard.")
        {
            scenario, vary, seeds, parallel, shard, outOption,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(parallel) is > 1 && result.GetValue(shard) is not null)
            {
                result.AddError("--parallel and --shard: use one or the other (a shard runs in one process)");
            }
        });
        command.SetAction(r =>
        {
            var path = r.GetValue(scenario);
            var baseFile = path is null ? ScenarioLoader.BuiltIn() : ScenarioLoader.Load(path);
            var source = path ?? ScenarioLoader.BuiltInName;
            var baseDirectory = path is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(Path.GetFullPath(path))!;
            var axes = r.GetValue(vary)!;
            var points = Points(baseFile, axes, r.GetValue(seeds) ?? 1);
            // Every point is checked before any runs: a bad combination fails the whole sweep at once.
            foreach (var point in points)
            {
                ScenarioLoader.Resolve(point.File, $"{source} [point {point.Index}: {point.Label}]", baseDirectory);
            }

            var outDir = r.GetValue(outOption) ?? Path.Combine("artifacts", "sweep");
            Directory.CreateDirectory(outDir);
            if (r.GetValue(parallel) is { } n and > 1)
            {
                return RunParallel(r.Tokens.Select(t => t.Value).ToList(), n, outDir, axes, io);
            }

            var (index, count) = r.GetValue(shard) ?? (0, 1);
            var csv = Path.Combine(outDir, count == 1 ? "sweep.csv" : $"sweep-shard-{index}-of-{count}.csv");
            var rows = new List<string>();
            foreach (var point in points.Where(p => p.Index % count == index))
            {
                var summary = Runner.Execute(point.File, source, baseDirectory, Limits.Default, outDir: null, io, quiet: true).Summary;
                rows.Add(Row(point, summary));
                io.Out.WriteLine($"point {point.Index + 1}/{points.Count} {point.Label}: pull p99 {summary.PullMs.P99.ToString("F3", CultureInfo.InvariantCulture)} ms, delivered {summary.Delivered}/{summary.Requests}");
            }

            File.WriteAllText(csv, Header(axes) + string.Concat(rows.Select(row => row + "\n")));
            io.Out.WriteLine($"csv: {csv}");
            if (count == 1)
            {
                WritePlots(csv, axes, outDir, io);
            }

            return 0;
        });

        var files = new Argument<string[]>("csv") { Description = "the shards' CSV files", Arity = ArgumentArity.OneOrMore };
        var mergeOut = new Option<string>("--output", "-o") { Description = "merged CSV (sweep.csv)", HelpName = "file", DefaultValueFactory = _ => "sweep.csv" };
        var merge = new System.CommandLine.Command("merge", "Join shard CSVs into the CSV of the whole sweep (points in order, each exactly once).") { files, mergeOut };
        merge.SetAction(r =>
        {
            var output = r.GetValue(mergeOut)!;
            File.WriteAllText(output, Merge(r.GetValue(files)!));
            io.Out.WriteLine($"csv: {output}");
            return 0;
        });
        command.Subcommands.Add(merge);
        return command;
    }

    public sealed record Point(int Index, string Label, IReadOnlyList<string> Values, ScenarioFile File);

    public static IReadOnlyList<Point> Points(ScenarioFile baseFile, IReadOnlyList<Axis> axes, int seeds)
    {
        var json = System.Text.Json.JsonSerializer.Serialize(baseFile, ScenarioLoader.JsonOptions);
        var combos = new List<IReadOnlyList<string>> { Array.Empty<string>() };
        foreach (var axis in axes)
        {
            combos = [.. combos.SelectMany(c => axis.Values.Select(v => (IReadOnlyList<string>)[.. c, v]))];
        }

        var points = new List<Point>();
        foreach (var combo in combos)
        {
            for (var s = 0; s < seeds; s++)
            {
                var file = ScenarioLoader.Parse(json, "sweep");
                for (var i = 0; i < axes.Count; i++)
                {
                    Keys[axes[i].Key](file, combo[i]);
                }

                file.Seed = unchecked(file.Seed + (ulong)s);
                var label = string.Join(' ', axes.Select((a, i) => $"{a.Key}={combo[i]}")) + $" seed={file.Seed}";
                points.Add(new Point(points.Count, label, combo, file));
            }
        }

        return points;
    }

    private static string Header(IReadOnlyList<Axis> axes) =>
        string.Join(',', axes.Select(a => a.Key).Prepend("point").Append("run_seed").Concat(Metrics)) + "\n";

    private static string Row(Point point, RunSummary s) => string.Join(',', new[] { point.Index.ToString(CultureInfo.InvariantCulture) }
        .Concat(point.Values)
        .Append(s.Scenario.Seed.ToString(CultureInfo.InvariantCulture))
        .Concat(new object[]
        {
            s.Requests, s.Delivered, R(s.PullMs.P50), R(s.PullMs.P90), R(s.PullMs.P99), R(s.ReadyMs.P50), R(s.ReadyMs.P99),
            R(s.ThroughputRequestsPerS), R(s.ThroughputGBps), s.LinkDownEvents, s.RetriedPulls, s.Relinks, s.TraceHash, R(s.ExposedMs.P50), R(s.ExposedMs.P99),
        }.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)!)));

    private static string R(double value) => value.ToString("F6", CultureInfo.InvariantCulture);

    /// <summary>Joins shard CSVs: same header, every point once, in point order.</summary>
    public static string Merge(IReadOnlyList<string> paths)
    {
        string? header = null;
        var rows = new SortedDictionary<int, string>();
        foreach (var path in paths)
        {
            if (!File.Exists(path))
            {
                throw new UsageException($"{path}: shard CSV not found");
            }

            var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
            if (lines.Count == 0)
            {
                throw new UsageException($"{path}: empty (no header)");
            }

            if (header is not null && lines[0] != header)
            {
                throw new UsageException($"{path}:1: header differs from the first shard's (shards of different sweeps?)");
            }

            header = lines[0];
            for (var i = 1; i < lines.Count; i++)
            {
                var cell = lines[i].Split(',', 2)[0];
                if (!int.TryParse(cell, NumberStyles.None, CultureInfo.InvariantCulture, out var point))
                {
                    throw new UsageException($"{path}:{i + 1}: first column must be the point number (got '{cell}')");
                }

                if (!rows.TryAdd(point, lines[i]))
                {
                    throw new UsageException($"{path}:{i + 1}: point {point} appears in more than one shard");
                }
            }
        }

        var missing = rows.Count == 0 ? [] : Enumerable.Range(0, rows.Keys.Max() + 1).Where(p => !rows.ContainsKey(p)).ToList();
        if (missing.Count > 0)
        {
            throw new UsageException($"merge: points {string.Join(", ", missing.Take(10))}{(missing.Count > 10 ? ", ..." : string.Empty)} are missing: a shard did not run or was not given");
        }

        var text = new StringBuilder(header).Append('\n');
        foreach (var row in rows.Values)
        {
            text.Append(row).Append('\n');
        }

        return text.ToString();
    }

    private static int RunParallel(List<string> tokens, int processes, string outDir, IReadOnlyList<Axis> axes, Io io)
    {
        // The same command line (its tokens start with "sweep"), without --parallel and --out, once per shard; this
        // executable, or `dotnet llmdd-sim.dll`.
        var args = new List<string>();
        for (var i = 0; i < tokens.Count; i++)
        {
            if (tokens[i] is "--parallel")
            {
                i++;
                continue;
            }

            if (tokens[i] is "--out" or "-o")
            {
                i++;
                continue;
            }

            args.Add(tokens[i]);
        }

        var host = Environment.ProcessPath!;
        var prefix = Path.GetFileNameWithoutExtension(host) == "dotnet" ? new[] { typeof(Sweep).Assembly.Location } : [];
        var shardDir = Path.Combine(outDir, "shards");
        var children = Enumerable.Range(0, processes).Select(i =>
        {
            var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in prefix.Concat([.. args, "--shard", $"{i}/{processes}", "--out", shardDir]))
            {
                start.ArgumentList.Add(arg);
            }

            var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            return (process, output, error);
        }).ToList();
        var failed = false;
        foreach (var (process, output, error) in children)
        {
            process.WaitForExit();
            io.Out.Write(new Spectre.Console.Text(output.Result));
            if (process.ExitCode != 0)
            {
                failed = true;
                io.Error.Write(error.Result);
            }
        }

        if (failed)
        {
            io.Error.WriteLine("llmdd-sim: a shard failed; nothing merged");
            return 1;
        }

        var csv = Path.Combine(outDir, "sweep.csv");
        File.WriteAllText(csv, Merge([.. Enumerable.Range(0, processes).Select(i => Path.Combine(shardDir, $"sweep-shard-{i}-of-{processes}.csv"))]));
        io.Out.WriteLine($"csv: {csv}");
        WritePlots(csv, axes, outDir, io);
        return 0;
    }

    // One line per combination of the other axes, against the first axis, mean over seeds.
    private static void WritePlots(string csv, IReadOnlyList<Axis> axes, string outDir, Io io)
    {
        var lines = File.ReadAllLines(csv);
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToList();
        foreach (var (metric, file, label) in new[] { ("pull_p99_ms", "sweep-pull-p99.png", "pull p99 (ms)"), ("throughput_gb_s", "sweep-throughput.png", "KV throughput (GB/s)") })
        {
            var column = Array.IndexOf(header, metric);
            var plot = new Plot();
            plot.Title($"{label} over {axes[0].Key}" + (axes.Count > 1 ? $" by {string.Join(", ", axes.Skip(1).Select(a => a.Key))}" : string.Empty) + " (mean over seeds)");
            var numeric = axes[0].Values.All(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
            foreach (var group in rows.GroupBy(r => string.Join(' ', axes.Skip(1).Select((a, i) => $"{a.Key}={r[i + 2]}"))))
            {
                var xs = new List<double>();
                var ys = new List<double>();
                foreach (var (value, i) in axes[0].Values.Select((v, i) => (v, i)))
                {
                    var at = group.Where(r => r[1] == value).ToList();
                    if (at.Count > 0)
                    {
                        xs.Add(numeric ? double.Parse(value, CultureInfo.InvariantCulture) : i);
                        ys.Add(at.Average(r => double.Parse(r[column], CultureInfo.InvariantCulture)));
                    }
                }

                var line = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
                line.LegendText = group.Key.Length == 0 ? metric : group.Key;
            }

            if (!numeric)
            {
                plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. axes[0].Values.Select((v, i) => new Tick(i, v))]);
            }

            plot.XLabel(axes[0].Key);
            plot.YLabel(label);
            plot.ShowLegend(Alignment.UpperLeft);
            var path = Path.Combine(outDir, file);
            plot.SavePng(path, Plots.Width, Plots.Height);
            io.Out.WriteLine($"plot: {path}");
        }
    }
}
