using System.Runtime.CompilerServices;

namespace LlmDataDist.Generators.Tests;

/// <summary>
/// Compares text with a reviewed copy in <c>Snapshots/&lt;name&gt;</c> beside this file. <c>UPDATE_SNAPSHOTS=1</c>
/// rewrites the copies instead (review the diff like code); CI never sets it, so a change there fails the build.
/// </summary>
internal static class Snapshot
{
    public const string UpdateVariable = "UPDATE_SNAPSHOTS";

    public static bool Updating => Environment.GetEnvironmentVariable(UpdateVariable) == "1";

    /// <summary>The snapshot folder in the source tree (not the output folder), found through the caller's path.</summary>
    public static string Folder([CallerFilePath] string callerPath = "") =>
        Path.Combine(Path.GetDirectoryName(callerPath)!, "Snapshots");

    public static void Match(string actual, string name, [CallerFilePath] string callerPath = "")
    {
        var path = Path.Combine(Folder(callerPath), name);
        var normalized = Normalize(actual);
        if (Updating)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, normalized);
            return;
        }

        if (!File.Exists(path))
        {
            Assert.Fail($"No snapshot Snapshots/{name}. Create it with `{UpdateVariable}=1 dotnet test tests/LlmDataDist.Generators.Tests`, "
                + "then review and commit the new file.");
        }

        var expected = Normalize(File.ReadAllText(path));
        if (expected == normalized)
        {
            return;
        }

        var expectedLines = expected.Split('\n');
        var actualLines = normalized.Split('\n');
        var line = 0;
        while (line < expectedLines.Length && line < actualLines.Length && expectedLines[line] == actualLines[line])
        {
            line++;
        }

        var was = line < expectedLines.Length ? expectedLines[line] : "<end of file>";
        var now = line < actualLines.Length ? actualLines[line] : "<end of file>";
        Assert.Fail($"Snapshots/{name} differs from line {line + 1}:\n  snapshot: {was}\n  actual:   {now}\n"
            + $"If the change is intended, run `{UpdateVariable}=1 dotnet test tests/LlmDataDist.Generators.Tests` and review the diff.");
    }

    public static string Normalize(string text) => text.Replace("\r\n", "\n").Replace('\r', '\n');
}
