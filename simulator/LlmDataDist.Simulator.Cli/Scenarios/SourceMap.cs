namespace LlmDataDist.Simulator.Cli.Scenarios;

/// <summary>Where each JSON path of a scenario starts in its file (1-based line and column), so a rule broken at
/// <c>$.arrivals.rate</c> is reported at <c>file:line:col</c>. A path the file does not spell (a default) is reported
/// at its nearest ancestor that it does.</summary>
internal sealed class SourceMap(string source)
{
    private readonly Dictionary<string, (long Line, long Column)> _starts = new(StringComparer.Ordinal);

    public string Source { get; } = source;

    public void Add(string path, long line, long column) => _starts.TryAdd(path, (line, column));

    /// <summary><c>file:line:col</c> of a JSON path (or of its nearest spelled ancestor).</summary>
    public string Locate(string path)
    {
        for (var p = path; ; p = Parent(p))
        {
            if (_starts.TryGetValue(p, out var at))
            {
                return $"{Source}:{at.Line}:{at.Column}";
            }

            if (p == "$" || p.Length == 0)
            {
                return Source;
            }
        }
    }

    private static string Parent(string path)
    {
        var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut <= 0 ? "$" : path[..cut];
    }
}
