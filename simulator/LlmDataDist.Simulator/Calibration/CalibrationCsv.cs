using System.Globalization;
using System.Text;

namespace LlmDataDist.Simulator;

/// <summary>
/// The calibration CSV schema (docs/latency-model.md): a header naming the columns <c>platform, transport, path,
/// direction, block_bytes, total_bytes, gbps</c> in any order, plus the optional <c>scope</c>; then one measured point
/// per line. Blank lines and lines starting with <c>#</c> are skipped; unknown columns are ignored, so a probe may add
/// its own. Values: platform <c>A2|A3</c>; transport <c>HCCS|RoCE</c>; path <c>hixl_cs|comm_domain</c>; direction
/// <c>D2rD|rD2D</c> (or <c>push|pull</c>); scope <c>one-server|two-servers</c> (absent or empty: one-server); block and
/// total bytes positive integers, total a whole number of blocks; gbps a positive decimal with a dot.
/// </summary>
internal static class CalibrationCsv
{
    internal static readonly string[] RequiredColumns = ["platform", "transport", "path", "direction", "block_bytes", "total_bytes", "gbps"];

    internal const string ScopeColumn = "scope";

    public static string PathText(TransferPath path) => path == TransferPath.HixlCs ? "hixl_cs" : "comm_domain";

    public static string DirectionText(TransferDirection direction) => direction == TransferDirection.Push ? "D2rD" : "rD2D";

    public static string ScopeText(LinkScope scope) => scope == LinkScope.OneServer ? "one-server" : "two-servers";

    public static string TransportText(LinkKind transport) => transport == LinkKind.Hccs ? "HCCS" : "RoCE";

    public static List<CalibrationPoint> Parse(TextReader reader, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(sourceName);
        var points = new List<CalibrationPoint>();
        var seen = new Dictionary<(PathKey, long, long), int>();
        Dictionary<string, int>? columns = null;
        var headerCount = 0;
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            var text = line.Trim();
            if (text.Length == 0 || text.StartsWith('#'))
            {
                continue;
            }

            if (text.Contains('"', StringComparison.Ordinal))
            {
                throw Error(sourceName, lineNumber, "quoted fields are not part of the schema: write plain comma-separated values");
            }

            var cells = text.Split(',').Select(c => c.Trim()).ToArray();
            if (columns is null)
            {
                columns = Header(cells, sourceName, lineNumber);
                headerCount = cells.Length;
                continue;
            }

            if (cells.Length != headerCount)
            {
                throw Error(sourceName, lineNumber, $"a row has one value per header column: expected {headerCount}, got {cells.Length}");
            }

            var point = Row(cells, columns, sourceName, lineNumber);
            if (seen.TryGetValue((point.Key, point.BlockBytes, point.TotalBytes), out var first))
            {
                throw Error(sourceName, lineNumber, $"each point appears once: {point.Key} with {point.BlockBytes} B blocks of {point.TotalBytes} B was already given on line {first}");
            }

            seen.Add((point.Key, point.BlockBytes, point.TotalBytes), lineNumber);
            points.Add(point);
        }

        if (columns is null)
        {
            throw Error(sourceName, Math.Max(1, lineNumber), $"the file starts with a header line naming the columns {string.Join(',', RequiredColumns)} (optional: {ScopeColumn})");
        }

        return points;
    }

    public static string Write(IEnumerable<CalibrationPoint> points)
    {
        var text = new StringBuilder();
        text.Append(string.Join(',', RequiredColumns)).Append(',').Append(ScopeColumn).Append('\n');
        foreach (var p in points)
        {
            text.Append(CultureInfo.InvariantCulture, $"{p.Key.Platform},{TransportText(p.Key.Transport)},{PathText(p.Key.Path)},{DirectionText(p.Key.Direction)},")
                .Append(CultureInfo.InvariantCulture, $"{p.BlockBytes},{p.TotalBytes},{p.GBps.ToString("R", CultureInfo.InvariantCulture)},{ScopeText(p.Key.Scope)}\n");
        }

        return text.ToString();
    }

    private static Dictionary<string, int> Header(string[] cells, string sourceName, int lineNumber)
    {
        var columns = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < cells.Length; i++)
        {
            if (cells[i].Length > 0 && !columns.TryAdd(cells[i], i))
            {
                throw Error(sourceName, lineNumber, $"the header names each column once: '{cells[i]}' appears twice");
            }
        }

        var missing = RequiredColumns.Where(c => !columns.ContainsKey(c)).ToList();
        if (missing.Count > 0)
        {
            throw Error(sourceName, lineNumber, $"the header names the columns {string.Join(',', RequiredColumns)} (optional: {ScopeColumn}); missing: {string.Join(',', missing)}");
        }

        return columns;
    }

    private static CalibrationPoint Row(string[] cells, Dictionary<string, int> columns, string sourceName, int lineNumber)
    {
        string Cell(string name) => columns.TryGetValue(name, out var i) && i < cells.Length ? cells[i] : "";

        var platform = Cell("platform").ToUpperInvariant() switch
        {
            "A2" => Platform.A2,
            "A3" => Platform.A3,
            var other => throw Error(sourceName, lineNumber, $"platform is A2 or A3, not '{other}'"),
        };
        var transport = Cell("transport").ToUpperInvariant() switch
        {
            "HCCS" => LinkKind.Hccs,
            "ROCE" => LinkKind.Roce,
            var other => throw Error(sourceName, lineNumber, $"transport is HCCS or RoCE, not '{other}'"),
        };
        var path = Cell("path").ToLowerInvariant() switch
        {
            "hixl_cs" => TransferPath.HixlCs,
            "comm_domain" => TransferPath.CommDomain,
            var other => throw Error(sourceName, lineNumber, $"path is hixl_cs or comm_domain, not '{other}'"),
        };
        var direction = Cell("direction").ToLowerInvariant() switch
        {
            "d2rd" or "push" => TransferDirection.Push,
            "rd2d" or "pull" => TransferDirection.Pull,
            var other => throw Error(sourceName, lineNumber, $"direction is D2rD (push) or rD2D (pull), not '{other}'"),
        };
        var scope = Cell(ScopeColumn).ToLowerInvariant() switch
        {
            "" or "one-server" => LinkScope.OneServer,
            "two-servers" => LinkScope.TwoServers,
            var other => throw Error(sourceName, lineNumber, $"scope is one-server or two-servers (or empty for one-server), not '{other}'"),
        };
        var key = new PathKey(platform, transport, scope, path, direction);
        if (!key.Exists)
        {
            throw Error(sourceName, lineNumber, $"{key} does not exist: HCCS joins A2 NPUs only inside one server");
        }

        var blockBytes = Positive(Cell("block_bytes"), "block_bytes");
        var totalBytes = Positive(Cell("total_bytes"), "total_bytes");
        if (totalBytes % blockBytes != 0 || totalBytes / blockBytes > int.MaxValue)
        {
            throw Error(sourceName, lineNumber, $"total_bytes is a whole number of blocks (at most {int.MaxValue}): {totalBytes} is not a multiple of {blockBytes}, or too many blocks");
        }

        var gbpsText = Cell("gbps");
        if (!double.TryParse(gbpsText, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var gbps)
            || !(gbps > 0) || double.IsInfinity(gbps))
        {
            throw Error(sourceName, lineNumber, $"gbps is a positive decimal number with a dot (10^9 bytes per second), not '{gbpsText}'");
        }

        return new CalibrationPoint(key, blockBytes, totalBytes, gbps, lineNumber);

        long Positive(string value, string name) =>
            long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : throw Error(sourceName, lineNumber, $"{name} is a positive whole number of bytes, not '{value}'");
    }

    private static CalibrationFormatException Error(string sourceName, int lineNumber, string rule) => new(sourceName, lineNumber, rule);
}
