using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LlmDataDist.Simulator.Cli.Scenarios;
using LlmDataDist.Simulator.Scenarios;
using Spectre.Console;

namespace LlmDataDist.Simulator.Cli;

/// <summary>Where the runner writes: a Spectre console (plain text when output is not a terminal) and an error stream.</summary>
/// <param name="Out">Tables and results.</param>
/// <param name="Error">One-line errors.</param>
/// <param name="Interactive">A terminal: progress bars and colour.</param>
internal sealed record Io(IAnsiConsole Out, TextWriter Error, bool Interactive);

/// <summary>Runs one scenario: guards, the simulation with streaming statistics, the summary and the files.</summary>
internal static class Runner
{
    // Measured (docs/scenario-runner.md): ~125 µs of CPU and ~2 trace events per request, metadata mode.
    private const double RequestsPerWallSecond = 8_000;
    private const double TraceEventsPerRequest = 2.1;
    private const double BytesPerKeptTraceEvent = 400;

    public sealed record Outcome(RunSummary Summary, int ExitCode, string? OutDir);

    /// <summary>What a run will cost, before it starts.</summary>
    public sealed record Estimate(double Requests, double MemoryMb, double WallS, double TraceEvents, bool KeepTrace, string MemoryWhy);

    public static Estimate EstimateOf(ScenarioSpec spec, Limits limits, bool writeFiles)
    {
        var requests = spec.ArrivalTrace is { } trace
            ? Math.Min(trace.Count, spec.MaxRequests)
            : Math.Min(spec.RequestsPerSecond * spec.DurationNs / 1e9, spec.MaxRequests);
        var instances = (double)(spec.Prompts + spec.Decoders);
        var poolBytes = spec.MetadataOnly ? 0 : instances * spec.BlocksPerInstance * spec.KvModel.BlockBytes * spec.KvModel.Tensors;
        var events = (requests * TraceEventsPerRequest) + (instances * instances * 4);
        var keepTrace = writeFiles && events <= limits.MaxTraceEvents;
        var memoryMb = 80 + (poolBytes / 1e6) + (keepTrace ? events * BytesPerKeptTraceEvent / 1e6 : 0) + (instances * spec.BlocksPerInstance * 8 / 1e6);
        var why = spec.MetadataOnly
            ? "trace events kept for trace.json"
            : string.Create(CultureInfo.InvariantCulture,
                $"KV pools with real bytes: {instances} instances x {spec.BlocksPerInstance} blocks x {spec.KvModel.Tensors} tensors x {spec.KvModel.BlockBytes / 1024.0:G4} KiB");
        var wallS = (requests / RequestsPerWallSecond) + (spec.MetadataOnly ? 0 : requests * spec.KvModel.BlocksFor(spec.PromptTokensMean) * spec.KvModel.BlockBytes * spec.KvModel.Tensors * 2 / 1e9);
        return new Estimate(requests, memoryMb, wallS, events, keepTrace, why);
    }

    public static Outcome Execute(ScenarioFile file, string source, string baseDirectory, Limits limits, string? outDir, Io io, bool quiet = false)
    {
        var spec = ScenarioLoader.Resolve(file, source, baseDirectory);
        var estimate = EstimateOf(spec, limits, outDir is not null);
        if (estimate.MemoryMb > limits.MaxMemoryMb)
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: estimated memory {estimate.MemoryMb:F0} MB ({estimate.MemoryWhy}) exceeds --max-memory-mb {limits.MaxMemoryMb}: lower transfer.poolBlocks (--blocks), run without real bytes, or raise --max-memory-mb"));
        }

        if (estimate.WallS > limits.MaxWallS)
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: estimated wall time {estimate.WallS:F0} s for ~{estimate.Requests:F0} requests exceeds --max-wall-s {limits.MaxWallS}: lower arrivals.rate, durationMs or maxRequests, or raise --max-wall-s"));
        }

        var title = RunSummary.TitleOf(file);
        if (!quiet)
        {
            io.Out.MarkupLine($"[bold]llmdd-sim[/] {Markup.Escape(title)}");
        }

        StreamWriter? transfers = null;
        if (outDir is not null)
        {
            Directory.CreateDirectory(outDir);
            transfers = new StreamWriter(Path.Combine(outDir, "transfers.csv"), append: false, new System.Text.UTF8Encoding(false), 1 << 16);
        }

        var bucketNs = Math.Max(SimTime.NsPerMs, (spec.DurationNs + (3 * SimTime.NsPerSecond)) / 200);
        var stats = new RunStats(bucketNs, transfers) { DecodeStepNs = spec.DecodeNsPerToken };
        var wall = Stopwatch.StartNew();
        (DisaggregatedScenario Scenario, ScenarioResult Result) run;
        try
        {
            run = Simulate(spec, stats, estimate.KeepTrace, io, quiet);
        }
        catch
        {
            // A run that could not finish leaves no half-written results behind.
            transfers?.Dispose();
            if (outDir is not null)
            {
                File.Delete(Path.Combine(outDir, "transfers.csv"));
            }

            throw;
        }

        transfers?.Dispose();

        wall.Stop();
        using var scenario = run.Scenario;
        var peakMb = Process.GetCurrentProcess().PeakWorkingSet64 / 1e6;
        var summary = RunSummary.Build(ScenarioLoader.SelfContained(file, baseDirectory), spec, run.Result, stats, wall.Elapsed, peakMb);
        if (!quiet)
        {
            PrintTable(io, summary);
        }

        if (outDir is not null)
        {
            File.WriteAllText(Path.Combine(outDir, "summary.json"), JsonSerializer.Serialize(summary, ScenarioLoader.JsonOptions));
            if (estimate.KeepTrace)
            {
                using var stream = File.Create(Path.Combine(outDir, "trace.json"));
                scenario.World.Trace.WriteChromeJson(stream);
            }
            else
            {
                File.Delete(Path.Combine(outDir, "trace.json"));
            }

            var plots = Plots.Write(summary, stats, outDir);
            var report = Report.Write(summary, plots, outDir);
            if (!quiet)
            {
                io.Out.WriteLine(estimate.KeepTrace
                    ? $"trace (open in ui.perfetto.dev): {Path.Combine(outDir, "trace.json")}"
                    : string.Create(CultureInfo.InvariantCulture, $"trace.json not written: ~{estimate.TraceEvents:F0} events > --max-trace-events {limits.MaxTraceEvents} (the hash covers every event)"));
                io.Out.WriteLine($"report: {report}");
                io.Out.WriteLine($"files: summary.json transfers.csv {string.Join(' ', Plots.Files)} in {outDir}");
            }
        }

        return new Outcome(summary, stats.Corrupted == 0 ? 0 : 1, outDir);
    }

    private static (DisaggregatedScenario, ScenarioResult) Simulate(ScenarioSpec spec, RunStats stats, bool keepTrace, Io io, bool quiet)
    {
        if (!io.Interactive || quiet)
        {
            return DisaggregatedScenario.Run(spec, progress: null, stats, keepRecords: false, keepTraceEvents: keepTrace);
        }

        (DisaggregatedScenario, ScenarioResult) run = default;
        io.Out.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("virtual time", maxValue: 1.0);
                run = DisaggregatedScenario.Run(spec, new SyncProgress(f => task.Value = f), stats, keepRecords: false, keepTraceEvents: keepTrace);
                task.Value = 1.0;
            });
        return run;
    }

    public static void PrintTable(Io io, RunSummary summary)
    {
        var table = new Table().Border(io.Interactive ? TableBorder.Rounded : TableBorder.Ascii).AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        foreach (var (name, value) in summary.Rows())
        {
            table.AddRow(Markup.Escape(name), Markup.Escape(value));
        }

        io.Out.Write(table);
    }

    /// <summary>Reports progress synchronously on the loop thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
