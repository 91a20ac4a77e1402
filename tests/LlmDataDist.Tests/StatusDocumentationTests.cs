using System.Globalization;
using System.Reflection;
using System.Text;

namespace LlmDataDist.Tests;

/// <summary>
/// docs/statuses.md is generated from the status metadata the generator emits from the annotations (name, code,
/// meaning, recoverable, advice), so the page cannot drift from what the exceptions say. After changing the
/// annotations: <c>UPDATE_DOCS=1 dotnet test tests/LlmDataDist.Tests --filter StatusDocumentation</c>.
/// </summary>
public sealed class StatusDocumentationTests
{
    [Fact]
    public void The_status_page_matches_the_annotations()
    {
        var root = typeof(StatusDocumentationTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;
        var path = Path.Combine(root, "docs", "statuses.md");
        var expected = Render();
        if (Environment.GetEnvironmentVariable("UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, expected);
        }

        Assert.True(File.Exists(path), $"{path} is missing; run with UPDATE_DOCS=1");
        Assert.Equal(expected, File.ReadAllText(path).ReplaceLineEndings("\n"));
    }

    private static string Render()
    {
        var text = new StringBuilder();
        text.Append("# Statuses\n\n");
        text.Append("Every status of `llm_datadist.h`, what it means and what to do. Generated from the annotations (the\n");
        text.Append("exceptions say the same): do not edit by hand; after changing `src/LlmDataDist/spec/llm_datadist.annotations` run\n");
        text.Append("`UPDATE_DOCS=1 dotnet test tests/LlmDataDist.Tests --filter StatusDocumentation`.\n\n");
        text.Append("Each failure status is thrown as its own exception type (`Llm<Name>Exception`, all deriving from\n");
        text.Append("`LlmDataDistException`, whose `IsRecoverable` is the column below); `Reason` says which rule failed when the backend\n");
        text.Append("knows (the simulator always does). A code the header does not name (for example a raw ACL runtime code from HX\n");
        text.Append("transfers) comes as `LlmDataDistException` with the number kept.\n\n");
        text.Append("| Status | Code | Exception | Meaning | Recoverable | What to do |\n");
        text.Append("| --- | --- | --- | --- | --- | --- |\n");
        foreach (var status in Enum.GetValues<LlmStatus>())
        {
            var code = "0x" + ((uint)status).ToString("X8", CultureInfo.InvariantCulture);
            var exception = status == LlmStatus.Success ? "—" : $"`{LlmDataDistException.Create(status, "op").GetType().Name}`";
            var advice = status.GetAdvice();
            text.Append(CultureInfo.InvariantCulture, $"| `{status.GetNativeName()}` | {code} | {exception} | {status.GetDescription()} | {(status.IsRecoverable() ? "yes" : "no")} | {(advice.Length == 0 ? "—" : advice)} |\n");
        }

        return text.ToString();
    }
}
