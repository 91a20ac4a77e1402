using LlmDataDist.Simulator.Scenarios;
using ScottPlot;

namespace LlmDataDist.Simulator.Cli;

/// <summary>The runner's plots: pull latency over the run, and its distribution.</summary>
internal static class Plots
{
    public static IReadOnlyList<string> Write(ScenarioResult result, string outDir)
    {
        var ok = result.Requests.Where(r => r.Succeeded).ToList();
        var written = new List<string>();
        if (ok.Count == 0)
        {
            return written;
        }

        var timeline = new Plot();
        timeline.Add.ScatterPoints(ok.Select(r => r.PullEndNs / 1e6).ToArray(), ok.Select(r => r.PullNs / 1e6).ToArray());
        timeline.Title("KV pull latency over the run");
        timeline.XLabel("virtual time (ms)");
        timeline.YLabel("pull (ms)");
        var timelinePath = Path.Combine(outDir, "pull-latency.png");
        timeline.SavePng(timelinePath, 900, 500);
        written.Add(timelinePath);

        var histogram = new Plot();
        var hist = ScottPlot.Statistics.Histogram.WithBinCount(30, ok.Select(r => r.ReadyNs / 1e6));
        var bars = histogram.Add.Bars(hist.Bins.ToArray(), hist.Counts.ToArray());
        foreach (var bar in bars.Bars)
        {
            bar.Size = hist.FirstBinSize; // bars as wide as their bin, as a histogram reads
        }
        histogram.Title("Arrival to KV ready on the decoder");
        histogram.XLabel("ms");
        histogram.YLabel("requests");
        var histogramPath = Path.Combine(outDir, "ready-histogram.png");
        histogram.SavePng(histogramPath, 900, 500);
        written.Add(histogramPath);
        return written;
    }
}
