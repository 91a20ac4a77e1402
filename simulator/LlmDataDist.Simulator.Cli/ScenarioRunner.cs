using System.Diagnostics;
using System.Globalization;
using LlmDataDist.Simulator.Scenarios;
using LlmDataDist.Simulator.Semantics;
using Spectre.Console;

namespace LlmDataDist.Simulator.Cli;

/// <summary>
/// The scenario runner: simulates an xPyD disaggregated workload on a chosen topology with optional chaos faults,
/// shows progress in virtual time, prints a summary, and writes a Perfetto-loadable trace and plots.
/// With no arguments it runs <see cref="ScenarioSpec.Default"/>.
/// </summary>
internal static class ScenarioRunner
{
    private const string Usage = """
        llmdd-sim [options]            simulate a disaggregated prefill/decode workload (default: 1P1D, 2x A2, CE, 1 s)
          --seed N                     world and request seed (42)
          --topology a2|a3             server preset (a2)
          --servers N                  servers (2)
          --prompts P --decoders D     xPyD (1, 1)
          --profile ce|hx              engine profile (ce)
          --model dense-8b|tiny        KV layout (dense-8b)
          --rate R                     requests per second (20)
          --prompt-tokens N            mean prompt length (2048)
          --output-tokens N            mean output length (128)
          --duration-ms N              arrival window in virtual ms (1000)
          --blocks N                   KV pool per instance, in blocks (1024)
          --bytes                      move and verify real bytes (default: sizes only)
          --chaos SEED                 draw a random fault plan from SEED (swarm testing)
          --out DIR                    where trace.json and plots go (artifacts/scenario)
          --no-files                   write nothing, print the summary only
        Reproduce any run with the same arguments: same seed, same trace hash.
        """;

    public static int Main(string[] args)
    {
        ScenarioSpec spec;
        string outDir;
        bool writeFiles;
        try
        {
            (spec, outDir, writeFiles) = Parse(args);
        }
        catch (ArgumentException ex)
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(ex.Message)}[/]");
            Console.WriteLine(Usage);
            return 2;
        }

        if (spec is null)
        {
            Console.WriteLine(Usage);
            return 0;
        }

        AnsiConsole.MarkupLine($"[bold]LLM-DataDist scenario[/] {Markup.Escape(spec.ToString())}");
        var wall = Stopwatch.StartNew();
        (DisaggregatedScenario Scenario, ScenarioResult Result) run = default;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("virtual time", maxValue: 1.0);
                run = DisaggregatedScenario.Run(spec, new SyncProgress(f => task.Value = f));
                task.Value = 1.0;
            });
        wall.Stop();
        using var scenario = run.Scenario!;
        var result = run.Result!;
        PrintSummary(result, wall.Elapsed);
        if (writeFiles)
        {
            Directory.CreateDirectory(outDir);
            var tracePath = Path.Combine(outDir, "trace.json");
            using (var stream = File.Create(tracePath))
            {
                scenario.World.Trace.WriteChromeJson(stream);
            }

            var plots = Plots.Write(result, outDir);
            AnsiConsole.MarkupLine($"trace (open in ui.perfetto.dev): [blue]{Markup.Escape(tracePath)}[/]");
            foreach (var plot in plots)
            {
                AnsiConsole.MarkupLine($"plot: [blue]{Markup.Escape(plot)}[/]");
            }
        }

        return result.Corrupted == 0 ? 0 : 1;
    }

    /// <summary>Reports progress synchronously on the loop thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }

    private static (ScenarioSpec Spec, string OutDir, bool WriteFiles) Parse(string[] args)
    {
        var spec = ScenarioSpec.Default;
        var outDir = Path.Combine("artifacts", "scenario");
        var writeFiles = true;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Value(), CultureInfo.InvariantCulture);
            spec = args[i] switch
            {
                "--seed" => spec with { Seed = ulong.Parse(Value(), CultureInfo.InvariantCulture) },
                "--topology" => spec with { TopologyKind = Value() },
                "--servers" => spec with { Servers = Int() },
                "--prompts" => spec with { Prompts = Int() },
                "--decoders" => spec with { Decoders = Int() },
                "--profile" => spec with { Profile = Enum.Parse<EngineProfile>(Value(), ignoreCase: true) },
                "--model" => spec with { Model = KvModel.Presets.FirstOrDefault(m => m.Name == args[i + 1]) ?? throw new ArgumentException($"unknown model {args[i + 1]}"), Seed = Skip(ref i, spec.Seed) },
                "--rate" => spec with { RequestsPerSecond = double.Parse(Value(), CultureInfo.InvariantCulture) },
                "--prompt-tokens" => spec with { PromptTokensMean = Int() },
                "--output-tokens" => spec with { OutputTokensMean = Int() },
                "--duration-ms" => spec with { DurationNs = Int() * SimTime.NsPerMs },
                "--blocks" => spec with { BlocksPerInstance = Int() },
                "--bytes" => spec with { MetadataOnly = false },
                "--chaos" => spec with { ChaosSeed = ulong.Parse(Value(), CultureInfo.InvariantCulture) },
                "--out" => Set(ref outDir, Value(), spec),
                "--no-files" => Set(ref writeFiles, false, spec),
                "--help" or "-h" => null!,
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
            if (spec is null)
            {
                return (null!, outDir, false);
            }
        }

        return (spec, outDir, writeFiles);
    }

    private static ulong Skip(ref int i, ulong seed)
    {
        i++;
        return seed;
    }

    private static ScenarioSpec Set<T>(ref T field, T value, ScenarioSpec spec)
    {
        field = value;
        return spec;
    }

    private static void PrintSummary(ScenarioResult result, TimeSpan wall)
    {
        var virtualSeconds = result.VirtualNs / (double)SimTime.NsPerSecond;
        var table = new Table().Border(TableBorder.Rounded).AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        Row("requests", result.Requests.Count.ToString(CultureInfo.InvariantCulture));
        Row("KV delivered", $"{result.Succeeded} ({Percent(result.Succeeded, result.Requests.Count)})");
        foreach (var (outcome, count) in result.Outcomes.Where(o => o.Outcome != "ok"))
        {
            Row($"  {outcome}", count.ToString(CultureInfo.InvariantCulture));
        }

        Row("KV moved", $"{result.BytesMoved / 1e9:F2} GB");
        Row("pull p50 / p90 / p99", $"{Ms(result.PullPercentileNs(50))} / {Ms(result.PullPercentileNs(90))} / {Ms(result.PullPercentileNs(99))}");
        Row("arrival→KV ready p50 / p99", $"{Ms(result.ReadyPercentileNs(50))} / {Ms(result.ReadyPercentileNs(99))}");
        Row("links rebuilt", result.Relinks.ToString(CultureInfo.InvariantCulture));
        if (!result.Spec.MetadataOnly)
        {
            Row("bytes verified / corrupted", $"{result.Verified} / {result.Corrupted}");
        }

        Row("virtual time", SimTime.Format(result.VirtualNs));
        Row("wall time", $"{wall.TotalSeconds:F2} s ({virtualSeconds / Math.Max(wall.TotalSeconds, 1e-9):F1}x real time)");
        Row("faults", result.Faults);
        Row("trace", $"{result.TraceEvents} events, hash {result.TraceHash}");
        AnsiConsole.Write(table);
    }

    private static string Ms(long ns) => $"{ns / 1e6:F3} ms";

    private static string Percent(int part, int whole) => whole == 0 ? "-" : $"{100.0 * part / whole:F1} %";
}
