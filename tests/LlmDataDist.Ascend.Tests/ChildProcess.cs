using System.Diagnostics;

namespace LlmDataDist.Ascend.Tests;

/// <summary>Runs a program to its end and returns its exit code and both outputs.</summary>
internal static class ChildProcess
{
    public static (int ExitCode, string Output, string Error) Run(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null, TimeSpan? limit = null)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory ?? "" };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        // A guard against a stuck child, not a timing assertion.
        if (!process.WaitForExit(limit ?? TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{fileName} did not exit");
        }

        return (process.ExitCode, output.Result, error.Result);
    }

    public static (int ExitCode, string Output, string Error) Dotnet(string assembly, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        Run(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet", ["exec", Path.Combine(NativeTestEnvironment.OutputDirectory, assembly), .. arguments], environment);
}
