using System.CommandLine;
using System.Globalization;
using ScottPlot;
using Spectre.Console;

namespace LlmDataDist.Simulator.Cli;

/// <summary>
/// bench: the published HIXL point-to-point grid (or your own calibration CSV) simulated through the simulator's
/// transfer path, next to the measured figures with the error of each point. A thin view of
/// <see cref="CalibrationReport"/>: the latency model and its fit live in the simulator.
/// </summary>
internal static class Bench
{
    private static readonly string[] Columns = ["platform", "scope", "transport", "path", "direction", "block", "measured GB/s", "simulated GB/s", "error"];

    public static Command Command(Io io)
    {
        var calibration = RunOptions.CalibrationOption();
        calibration.Description = "measured points to fit and compare against (default: the published HIXL table)";
        var outOption = RunOptions.OutOption("where bench.md, bench.csv and bench.png go (artifacts/bench)");
        var command = new Command("bench", "Simulate the point-to-point grid next to the published (or your) figures, with the error of each point.")
        {
            calibration, outOption,
        };
        command.SetAction(r =>
        {
            var data = CalibrationData.Published;
            if (r.GetValue(calibration) is { } path)
            {
                try
                {
                    data = CalibrationData.Load(path);
                }
                catch (CalibrationFormatException ex)
                {
                    throw new UsageException($"--calibration: {ex.Message}");
                }
            }

            CalibrationReport report;
            try
            {
                report = CalibrationReport.Run(data);
            }
            catch (ArgumentException ex)
            {
                throw new UsageException($"--calibration: {ex.Message}");
            }

            var table = new Table().Border(io.Interactive ? TableBorder.Rounded : TableBorder.Ascii);
            foreach (var column in Columns)
            {
                table.AddColumn(new TableColumn(column) { Alignment = column is "block" or "measured GB/s" or "simulated GB/s" or "error" ? Justify.Right : Justify.Left });
            }

            foreach (var row in report.Rows)
            {
                var k = row.Point.Key;
                table.AddRow(
                    k.Platform.ToString(), k.Scope == LinkScope.OneServer ? "one server" : "two servers", k.Transport.ToString().ToUpperInvariant(),
                    k.Path == TransferPath.HixlCs ? "hixl_cs" : "comm_domain", k.Direction == TransferDirection.Push ? "D2rD (push)" : "rD2D (pull)",
                    Block(row.Point.BlockBytes), F(row.Point.GBps, "F1"), F(row.SimulatedGBps, "F2"), F(row.ErrorPercent, "+0.00;-0.00;0.00") + " %");
            }

            io.Out.Write(table);
            io.Out.WriteLine(report.Summary);
            var outDir = r.GetValue(outOption) ?? Path.Combine("artifacts", "bench");
            Directory.CreateDirectory(outDir);
            File.WriteAllText(Path.Combine(outDir, "bench.md"), report.ToMarkdown());
            File.WriteAllText(Path.Combine(outDir, "bench.csv"), "platform,scope,transport,path,direction,block_bytes,total_bytes,measured_gbps,simulated_gbps,error_percent\n" + string.Concat(report.Rows.Select(row =>
            {
                var k = row.Point.Key;
                return string.Create(CultureInfo.InvariantCulture,
                    $"{k.Platform},{k.Scope},{k.Transport},{k.Path},{k.Direction},{row.Point.BlockBytes},{row.Point.TotalBytes},{row.Point.GBps},{row.SimulatedGBps:F4},{row.ErrorPercent:F4}\n");
            })));
            var plot = Plot(report);
            plot.SavePng(Path.Combine(outDir, "bench.png"), Plots.Width, Plots.Height);
            io.Out.WriteLine($"files: bench.md bench.csv bench.png in {outDir}");
            return 0;
        });
        return command;
    }

    // Simulated against measured, one series per path: points on the diagonal are exact.
    private static Plot Plot(CalibrationReport report)
    {
        var plot = new Plot();
        plot.Title($"Point-to-point bandwidth: simulated vs measured\n{report.Summary}", size: 14);
        foreach (var group in report.Rows.GroupBy(r => r.Point.Key))
        {
            var points = plot.Add.ScatterPoints(group.Select(r => r.Point.GBps).ToArray(), group.Select(r => r.SimulatedGBps).ToArray());
            points.MarkerSize = 8;
            points.LegendText = group.Key.ToString();
        }

        var max = report.Rows.Max(r => Math.Max(r.Point.GBps, r.SimulatedGBps)) * 1.05;
        var diagonal = plot.Add.Line(0, 0, max, max);
        diagonal.LinePattern = LinePattern.Dotted;
        diagonal.LegendText = "simulated = measured";
        plot.XLabel("measured GB/s");
        plot.YLabel("simulated GB/s");
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Block(long bytes) =>
        bytes % (1L << 20) == 0 ? $"{bytes >> 20} MiB" : bytes % 1024 == 0 ? $"{bytes >> 10} KiB" : $"{bytes} B";
}
