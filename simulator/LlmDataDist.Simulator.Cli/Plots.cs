using System.Globalization;
using ScottPlot;

namespace LlmDataDist.Simulator.Cli;

/// <summary>The runner's plots (ScottPlot, headless PNG): every title carries the run's parameters.</summary>
internal static class Plots
{
    public const int Width = 1000;
    public const int Height = 520;

    /// <summary>Plot file names, in report order.</summary>
    public static readonly string[] Files = ["latency-cdf.png", "exposed-cdf.png", "ready-histogram.png", "bandwidth.png", "in-flight.png", "pool.png"];

    public static IReadOnlyList<string> Write(RunSummary summary, RunStats stats, string outDir)
    {
        var written = new List<string>();
        void Save(Plot plot, string file)
        {
            var path = Path.Combine(outDir, file);
            plot.SavePng(path, Width, Height);
            written.Add(path);
        }

        Save(LatencyCdf(summary), Files[0]);
        Save(ExposedCdf(summary), Files[1]);
        Save(ReadyHistogram(summary, stats), Files[2]);
        var seconds = stats.Buckets.Select((_, i) => (i + 0.5) * stats.BucketNs / 1e9).ToArray();

        var bandwidth = Titled(new Plot(), "KV bandwidth over time per link class", summary);
        foreach (var link in stats.LinkClasses.Keys)
        {
            var gbps = stats.Buckets.Select(b => b.Bytes.GetValueOrDefault(link) / stats.BucketNs).ToArray();
            var line = bandwidth.Add.Scatter(seconds, gbps);
            line.MarkerSize = 0;
            line.LegendText = link;
        }

        bandwidth.XLabel("virtual time (s)");
        bandwidth.YLabel("GB/s delivered");
        bandwidth.Axes.SetLimitsY(0, Math.Max(1e-3, stats.Buckets.Count == 0 ? 1 : stats.Buckets.Max(b => b.Bytes.Values.DefaultIfEmpty(0).Sum()) / stats.BucketNs) * 1.15);
        bandwidth.ShowLegend(Alignment.UpperRight);
        Save(bandwidth, Files[3]);

        var inFlight = Titled(new Plot(), "KV pulls in flight (peak per time bucket)", summary);
        var flights = inFlight.Add.Scatter(seconds, stats.Buckets.Select(b => (double)b.PullsInFlightMax).ToArray());
        flights.MarkerSize = 0;
        flights.ConnectStyle = ConnectStyle.StepHorizontal;
        inFlight.XLabel("virtual time (s)");
        inFlight.YLabel("pulls in flight");
        IntegerTicks(inFlight, stats.PeakPullsInFlight);
        Save(inFlight, Files[4]);

        var pool = Titled(new Plot(), "KV pool occupancy (peak per time bucket)", summary);
        var scenario = summary.Scenario;
        var promptTotal = (double)scenario.Placement.Prompts * scenario.Transfer.PoolBlocks;
        var decoderTotal = (double)scenario.Placement.Decoders * scenario.Transfer.PoolBlocks;
        var prompts = pool.Add.Scatter(seconds, stats.Buckets.Select(b => 100 * b.PromptBlocksMax / promptTotal).ToArray());
        prompts.MarkerSize = 0;
        prompts.LegendText = "prompt pools";
        var decoders = pool.Add.Scatter(seconds, stats.Buckets.Select(b => 100 * b.DecoderBlocksMax / decoderTotal).ToArray());
        decoders.MarkerSize = 0;
        decoders.LegendText = "decoder pools";
        pool.Axes.SetLimitsY(0, 105);
        pool.XLabel("virtual time (s)");
        pool.YLabel("blocks in use (%)");
        pool.ShowLegend(Alignment.UpperRight);
        Save(pool, Files[5]);
        return written;
    }

    /// <summary>Pull latency CDF with p50 / p90 / p99 marked.</summary>
    public static Plot LatencyCdf(RunSummary summary)
    {
        var plot = Titled(new Plot(), "KV pull latency CDF", summary);
        AddCdf(plot, summary.PullCdf, "pull latency");
        MarkPercentiles(plot, summary.PullMs);
        plot.ShowLegend(Alignment.LowerRight);
        LogX(plot);
        plot.XLabel("pull latency (ms, log scale)");
        plot.YLabel("fraction of delivered requests");
        plot.Axes.SetLimitsY(0, 1.02);
        return plot;
    }

    /// <summary>Exposed-transfer CDF (KV ready minus prefill end) with p50 / p90 / p99 marked, next to the whole
    /// transfer's: how much of the transfer stays on the time-to-first-token path.</summary>
    public static Plot ExposedCdf(RunSummary summary)
    {
        var plot = Titled(new Plot(), $"Exposed KV transfer CDF (KV ready minus prefill end): {TransferOf(summary)}", summary);
        AddCdf(plot, summary.PullCdf, "whole transfer (first call to KV ready)");
        AddCdf(plot, summary.ExposedCdf, "exposed transfer");
        MarkPercentiles(plot, summary.ExposedMs);
        plot.ShowLegend(Alignment.UpperLeft); // the curves rise to the right: the upper left stays clear
        LogX(plot);
        plot.XLabel("time (ms, log scale)");
        plot.YLabel("fraction of delivered requests");
        plot.Axes.SetLimitsY(0, 1.02);
        return plot;
    }

    /// <summary>How the run moved KV, e.g. "push-blocks, 8 layers per call, overlapping prefill".</summary>
    private static string TransferOf(RunSummary summary)
    {
        var transfer = summary.Scenario.Transfer;
        return transfer.LayersPerCall > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{transfer.Mode}, {transfer.LayersPerCall} layers per call, {(transfer.OverlapPrefill ? "overlapping prefill" : "after prefill")}")
            : $"{transfer.Mode}, every layer in one call after prefill";
    }

    private static void MarkPercentiles(Plot plot, RunSummary.Percentiles percentiles)
    {
        foreach (var (name, value) in new[] { ("p50", percentiles.P50), ("p90", percentiles.P90), ("p99", percentiles.P99) })
        {
            var line = plot.Add.VerticalLine(Math.Log10(Math.Max(value, 1e-6)));
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{name} = {value:F3} ms");
            line.LinePattern = LinePattern.Dashed;
            line.LineWidth = 2;
        }
    }

    /// <summary>Overlaid pull-latency CDFs of several runs (compare).</summary>
    public static Plot CompareCdf(IReadOnlyList<(string Label, RunSummary Summary)> runs)
    {
        var plot = new Plot();
        plot.Title("KV pull latency CDF: " + string.Join(" vs ", runs.Select(r => r.Label)));
        foreach (var (label, summary) in runs)
        {
            AddCdf(plot, summary.PullCdf, string.Create(CultureInfo.InvariantCulture, $"{label}: p50 {summary.PullMs.P50:F2} / p99 {summary.PullMs.P99:F2} ms"));
        }

        return CompareAxes(plot, "pull latency");
    }

    /// <summary>Overlaid exposed-transfer CDFs of several runs (compare), each labelled with how it moved KV.</summary>
    public static Plot CompareExposedCdf(IReadOnlyList<(string Label, RunSummary Summary)> runs)
    {
        var plot = new Plot();
        // The table names the runs (#1, #2, ...); the legend says how each moved KV, the title what they share.
        plot.Title("Exposed KV transfer CDF (KV ready minus prefill end)\n" + string.Join(" vs ", runs.Select(r => r.Summary.Title).Distinct()), size: 14);
        foreach (var (label, summary) in runs)
        {
            AddCdf(plot, summary.ExposedCdf, string.Create(CultureInfo.InvariantCulture, $"{label.Split(' ')[0]} {TransferOf(summary)}: p50 {summary.ExposedMs.P50:F2} / p99 {summary.ExposedMs.P99:F2} ms"));
        }

        return CompareAxes(plot, "exposed transfer");
    }

    private static Plot CompareAxes(Plot plot, string what)
    {
        LogX(plot);
        plot.XLabel($"{what} (ms, log scale)");
        plot.YLabel("fraction of delivered requests");
        plot.Axes.SetLimitsY(0, 1.02);
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }

    private static void AddCdf(Plot plot, List<double[]> cdf, string label)
    {
        if (cdf.Count == 0)
        {
            return;
        }

        var xs = cdf.Select(p => Math.Log10(Math.Max(p[0], 1e-6))).Prepend(Math.Log10(Math.Max(cdf[0][0], 1e-6))).ToArray();
        var ys = cdf.Select(p => p[1]).Prepend(0).ToArray();
        var line = plot.Add.Scatter(xs, ys);
        line.MarkerSize = 0;
        line.ConnectStyle = ConnectStyle.StepHorizontal;
        line.LegendText = label;
    }

    // Linear bins over the streaming histogram's buckets: each bucket's count goes to the bin of its value, so bars are
    // whole request counts.
    private static Plot ReadyHistogram(RunSummary summary, RunStats stats)
    {
        var plot = Titled(new Plot(), "Arrival to KV ready on the decoder", summary);
        var buckets = stats.Ready.Buckets().ToList();
        if (buckets.Count > 0)
        {
            const int bins = 40;
            var low = stats.Ready.Min / 1e6;
            var high = Math.Max(low + 1e-3, stats.Ready.Max / 1e6);
            var width = (high - low) / bins;
            var counts = new double[bins];
            foreach (var (upper, count) in buckets)
            {
                counts[Math.Clamp((int)((upper / 1e6 - low) / width), 0, bins - 1)] += count;
            }

            var bars = plot.Add.Bars(Enumerable.Range(0, bins).Select(i => low + ((i + 0.5) * width)).ToArray(), counts);
            foreach (var bar in bars.Bars)
            {
                bar.Size = width;
            }

            IntegerTicks(plot, (long)counts.Max());
        }

        plot.XLabel("arrival to KV ready (ms)");
        plot.YLabel("requests");
        return plot;
    }

    // Latency tails span decades (a recovery costs a whole transfer timeout): the CDFs plot log10(ms) and label ms.
    private static void LogX(Plot plot)
    {
        // Major ticks at 1, 2 and 5 of every decade, labelled in ms; the axis limits decide which show.
        var ticks = new List<Tick>();
        for (var exponent = -3; exponent <= 7; exponent++)
        {
            foreach (var mantissa in new[] { 1, 2, 5 })
            {
                var ms = mantissa * Math.Pow(10, exponent);
                ticks.Add(new Tick(Math.Log10(ms), ms.ToString("G4", CultureInfo.InvariantCulture)));
            }
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
    }

    private static Plot Titled(Plot plot, string what, RunSummary summary)
    {
        plot.Title($"{what}\n{summary.Title}", size: 14);
        return plot;
    }

    // Counts are whole numbers: ticks at a whole step, never 2.5 requests.
    private static void IntegerTicks(Plot plot, long max)
    {
        var step = 1L;
        while (max / step > 8)
        {
            step = step.ToString(CultureInfo.InvariantCulture)[0] switch { '1' => step * 2, '2' => step / 2 * 5, _ => step * 2 };
        }

        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(step);
        plot.Axes.SetLimitsY(0, Math.Max(1, max) * 1.1);
    }
}
