namespace LlmDataDist.Simulator;

/// <summary>
/// Measured point-to-point bandwidth points in the calibration CSV schema (docs/latency-model.md). The simulator ships
/// the published HIXL table as <see cref="Published"/>; a user's own measurements (for example from the native
/// backend's hardware probe) load with <see cref="Load"/> and fit with <see cref="LatencyModel.Fit(CalibrationData)"/>.
/// </summary>
public sealed class CalibrationData
{
    private const string PublishedResource = "LlmDataDist.Simulator.Calibration.hixl-published.csv";

    private static readonly Lazy<CalibrationData> PublishedData = new(() =>
    {
        using var stream = typeof(CalibrationData).Assembly.GetManifestResourceStream(PublishedResource)
            ?? throw new InvalidOperationException($"the embedded resource {PublishedResource} is missing from the simulator assembly");
        using var reader = new StreamReader(stream);
        return Parse(reader, "hixl-published.csv");
    });

    private CalibrationData(IReadOnlyList<CalibrationPoint> points, string sourceName)
    {
        Points = points;
        SourceName = sourceName;
    }

    /// <summary>The published HIXL measurements (hicann/hixl benchmarks/performance_en.md): 35 points, 128 MiB moved
    /// in 16 KiB, 128 KiB and 2 MiB blocks. Shipped inside the simulator as its default calibration.</summary>
    public static CalibrationData Published => PublishedData.Value;

    /// <summary>The points, in file order.</summary>
    public IReadOnlyList<CalibrationPoint> Points { get; }

    /// <summary>Where the points came from (a file name, or a label).</summary>
    public string SourceName { get; }

    /// <summary>Reads a calibration CSV file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The points.</returns>
    /// <exception cref="CalibrationFormatException">A line breaks the schema; the message names the line and the rule.</exception>
    public static CalibrationData Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var reader = new StreamReader(path);
        return Parse(reader, Path.GetFileName(path));
    }

    /// <summary>Reads calibration CSV text.</summary>
    /// <param name="reader">The text.</param>
    /// <param name="sourceName">A label for error messages, such as the file name.</param>
    /// <returns>The points.</returns>
    /// <exception cref="CalibrationFormatException">A line breaks the schema; the message names the line and the rule.</exception>
    public static CalibrationData Parse(TextReader reader, string sourceName = "calibration.csv") =>
        new(CalibrationCsv.Parse(reader, sourceName), sourceName);

    /// <summary>Reads calibration CSV text from a string.</summary>
    /// <param name="csv">The text.</param>
    /// <param name="sourceName">A label for error messages.</param>
    /// <returns>The points.</returns>
    /// <exception cref="CalibrationFormatException">A line breaks the schema; the message names the line and the rule.</exception>
    public static CalibrationData Parse(string csv, string sourceName = "calibration.csv")
    {
        ArgumentNullException.ThrowIfNull(csv);
        using var reader = new StringReader(csv);
        return Parse(reader, sourceName);
    }

    /// <summary>Points made in code (line numbers are 0).</summary>
    /// <param name="points">The points.</param>
    /// <param name="sourceName">A label.</param>
    /// <returns>The data.</returns>
    public static CalibrationData FromPoints(IEnumerable<CalibrationPoint> points, string sourceName = "points")
    {
        ArgumentNullException.ThrowIfNull(points);
        return Parse(CalibrationCsv.Write(points), sourceName); // one set of rules for code and files
    }

    /// <summary>The CSV text of the points, with the <c>scope</c> column.</summary>
    /// <returns>The text.</returns>
    public string ToCsv() => CalibrationCsv.Write(Points);
}
