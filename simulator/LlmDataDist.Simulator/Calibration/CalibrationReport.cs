using System.Globalization;
using System.Text;

namespace LlmDataDist.Simulator;

/// <summary>One measured point next to the simulator's figure for it.</summary>
/// <param name="Point">The measurement.</param>
/// <param name="SimulatedGBps">Total bytes over the simulated duration, 10^9 B/s.</param>
/// <param name="SimulatedDurationNs">The simulated duration, virtual ns.</param>
public sealed record CalibrationRow(CalibrationPoint Point, double SimulatedGBps, long SimulatedDurationNs)
{
    /// <summary>Signed error of the simulation against the measurement, in percent.</summary>
    public double ErrorPercent => (SimulatedGBps - Point.GBps) / Point.GBps * 100;
}

/// <summary>
/// Every calibration point simulated through the simulator's own transfer path: a world of the point's platform
/// (two servers, jitter off), the route and path timing the engine would select
/// (<see cref="Topology.FindRoute(int, int, TransferPath, TransferDirection, LinkKind?)"/>), and one transfer of the
/// point's total bytes in its blocks through <see cref="Network"/> in virtual time.
/// </summary>
public sealed class CalibrationReport
{
    private CalibrationReport(IReadOnlyList<CalibrationRow> rows, LatencyModel model)
    {
        Rows = rows;
        Model = model;
        var errors = rows.Select(r => Math.Abs(r.ErrorPercent)).Order().ToArray();
        MaxErrorPercent = errors.Length == 0 ? 0 : errors[^1];
        MedianErrorPercent = errors.Length == 0 ? 0
            : errors.Length % 2 == 1 ? errors[errors.Length / 2] : (errors[(errors.Length / 2) - 1] + errors[errors.Length / 2]) / 2;
    }

    /// <summary>The points with their simulated figures, in the data's order.</summary>
    public IReadOnlyList<CalibrationRow> Rows { get; }

    /// <summary>The model simulated.</summary>
    public LatencyModel Model { get; }

    /// <summary>Median of the absolute errors, percent.</summary>
    public double MedianErrorPercent { get; }

    /// <summary>Largest absolute error, percent.</summary>
    public double MaxErrorPercent { get; }

    /// <summary>The closing line: <c>calibration: N points, median error X %, max error Y %</c>.</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"calibration: {Rows.Count} points, median error {MedianErrorPercent:F2} %, max error {MaxErrorPercent:F2} %");

    /// <summary>Simulates every point of <paramref name="data"/> with <paramref name="model"/>.</summary>
    /// <param name="data">The measured points.</param>
    /// <param name="model">The model; null fits one from <paramref name="data"/> (<see cref="LatencyModel.Fit(CalibrationData)"/>).</param>
    /// <returns>The report.</returns>
    public static CalibrationReport Run(CalibrationData data, LatencyModel? model = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        model ??= ReferenceEquals(data, CalibrationData.Published) ? LatencyModel.Default : LatencyModel.Fit(data);
        var topologies = new Dictionary<Platform, Topology>
        {
            [Platform.A2] = Topology.A2(2, model),
            [Platform.A3] = Topology.A3(2, latencyModel: model), // both servers in one super-node: HCCS joins them
        };
        var rows = new List<CalibrationRow>(data.Points.Count);
        foreach (var point in data.Points)
        {
            var topology = topologies[point.Key.Platform];
            var local = 0;
            var remote = point.Key.Scope == LinkScope.OneServer ? 1 : topology.NpusOf(1)[0].Id;
            var (source, destination) = point.Key.Direction == TransferDirection.Push ? (local, remote) : (remote, local);
            var route = topology.FindRoute(source, destination, point.Key.Path, point.Key.Direction, point.Key.Transport);
            if (topology.PathKeyOf(route, point.Key.Path, point.Key.Direction) != point.Key)
            {
                throw new InvalidOperationException($"the route {route} does not take the path {point.Key}");
            }

            using var world = new SimulatedWorld(1, topology, options: new SimulationOptions(MetadataOnly: true, KeepTraceEvents: false, Jitter: false));
            var outcome = world.Run(() => world.Network.TransferAsync(route, point.TotalBytes, checked((int)point.Blocks)));
            if (!outcome.IsCompleted)
            {
                throw new InvalidOperationException($"the simulated transfer of {point.Key} ended {outcome.Status}: {outcome.Cause}");
            }

            rows.Add(new CalibrationRow(point, point.TotalBytes / (double)outcome.DurationNs, outcome.DurationNs));
        }

        return new CalibrationReport(rows, model);
    }

    /// <summary>A Markdown table, one row per point, then <see cref="Summary"/>.</summary>
    /// <returns>The text.</returns>
    public string ToMarkdown()
    {
        var text = new StringBuilder("| Platform | Scope | Transport | Path | Direction | Block | Published GB/s | Simulated GB/s | Error |\n");
        text.Append("| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: |\n");
        foreach (var row in Rows)
        {
            var k = row.Point.Key;
            text.Append(CultureInfo.InvariantCulture,
                $"| {k.Platform} | {CalibrationCsv.ScopeText(k.Scope)} | {CalibrationCsv.TransportText(k.Transport)} | {CalibrationCsv.PathText(k.Path)} | {CalibrationCsv.DirectionText(k.Direction)} | {BlockText(row.Point.BlockBytes)} | {row.Point.GBps:0.0#} | {row.SimulatedGBps:F2} | {row.ErrorPercent:+0.00;-0.00;0.00} % |\n");
        }

        return text.Append('\n').Append(Summary).Append('\n').ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => ToMarkdown();

    private static string BlockText(long bytes) =>
        bytes % (1L << 20) == 0 ? $"{bytes >> 20} MiB" : bytes % 1024 == 0 ? $"{bytes >> 10} KiB" : $"{bytes} B";
}
