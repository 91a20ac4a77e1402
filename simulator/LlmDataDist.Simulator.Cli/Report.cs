using System.Net;
using System.Text;
using System.Text.Json;
using LlmDataDist.Simulator.Cli.Scenarios;

namespace LlmDataDist.Simulator.Cli;

/// <summary>report.html: the summary table, every plot (embedded as base64, so the file stands alone) and the scenario.</summary>
internal static class Report
{
    public static string Write(RunSummary summary, IReadOnlyList<string> plots, string outDir)
    {
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
            .Append(WebUtility.HtmlEncode(summary.Title)).Append("</title><style>")
            .Append("body{font-family:system-ui,sans-serif;max-width:1040px;margin:2em auto;color:#222}")
            .Append("table{border-collapse:collapse}td{padding:.25em .8em;border-bottom:1px solid #ddd}td+td{text-align:right;font-variant-numeric:tabular-nums}")
            .Append("img{max-width:100%;margin:1em 0;border:1px solid #eee}pre{background:#f6f6f6;padding:1em;overflow:auto}")
            .Append("</style></head><body><h1>llmdd-sim report</h1><p>").Append(WebUtility.HtmlEncode(summary.Title)).Append("</p><table>");
        foreach (var (name, value) in summary.Rows())
        {
            html.Append("<tr><td>").Append(WebUtility.HtmlEncode(name)).Append("</td><td>").Append(WebUtility.HtmlEncode(value)).Append("</td></tr>");
        }

        html.Append("</table>");
        foreach (var plot in plots)
        {
            html.Append("<h2>").Append(WebUtility.HtmlEncode(Path.GetFileNameWithoutExtension(plot))).Append("</h2><img alt=\"")
                .Append(WebUtility.HtmlEncode(Path.GetFileName(plot))).Append("\" src=\"data:image/png;base64,")
                .Append(Convert.ToBase64String(File.ReadAllBytes(plot))).Append("\">");
        }

        html.Append("<h2>scenario</h2><p>Replay: <code>llmdd-sim replay summary.json</code></p><pre>")
            .Append(WebUtility.HtmlEncode(JsonSerializer.Serialize(summary.Scenario, ScenarioLoader.JsonOptions)))
            .Append("</pre></body></html>");
        var path = Path.Combine(outDir, "report.html");
        File.WriteAllText(path, html.ToString());
        return path;
    }
}
