using System.Diagnostics;
using System.Reflection;
using System.Text;
using Xunit.Abstractions;

namespace LlmDataDist.PackageTests;

/// <summary>
/// Packs the SDK and the simulator as a user gets them and runs a fresh consumer application against the packages
/// alone, so a file missing from a package or a broken dependency fails here and not for a user.
/// </summary>
public sealed class PackageConsumerTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string RepositoryRoot = Metadata("RepositoryRoot");
    private static readonly string Configuration = Metadata("Configuration");
    private readonly string _work = Directory.CreateTempSubdirectory("llmdd-pkgtest-").FullName;

    [Fact]
    public void A_fresh_consumer_restores_the_packages_and_pulls_exact_bytes_on_the_simulator()
    {
        var feed = Path.Combine(_work, "feed");
        foreach (var project in new[] { "src/LlmDataDist/LlmDataDist.csproj", "simulator/LlmDataDist.Simulator/LlmDataDist.Simulator.csproj" })
        {
            // The test project references these, so they are built in this configuration: pack those outputs.
            Dotnet(RepositoryRoot, "pack", Path.Combine(RepositoryRoot, project), "--no-build", "-c", Configuration, "-o", feed, "-nologo");
        }

        var package = Directory.GetFiles(feed, "LlmDataDist.Simulator.*.nupkg").Single(p => !p.EndsWith(".snupkg", StringComparison.Ordinal));
        var version = Path.GetFileNameWithoutExtension(package)["LlmDataDist.Simulator.".Length..];
        Assert.True(File.Exists(Path.Combine(feed, $"LlmDataDist.{version}.nupkg")), "the SDK package is missing");
        Assert.True(File.Exists(Path.Combine(feed, $"LlmDataDist.{version}.snupkg")), "the SDK symbols package is missing");

        var consumer = CreateConsumer("consumer", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Consumer", "Program.cs")), feed, version);
        var stdout = Dotnet(consumer, "run", "-c", "Release", "-nologo");
        Assert.Contains("bytes verified", stdout, StringComparison.Ordinal);

        // The documentation's code compiles as written, using lines included, against the same packages.
        foreach (var (file, heading) in new[] { ("README.md", "## Quick look"), ("docs/getting-started.md", "## 2.") })
        {
            var name = Path.GetFileNameWithoutExtension(file).Replace('-', '_');
            Dotnet(CreateConsumer(name, CodeBlockAfter(Path.Combine(RepositoryRoot, file), heading), feed, version), "build", "-c", "Release", "-nologo");
        }
    }

    /// <summary>The first csharp code block after a heading of a markdown file.</summary>
    private static string CodeBlockAfter(string markdown, string heading)
    {
        var text = File.ReadAllText(markdown).ReplaceLineEndings("\n");
        var start = text.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"{markdown} has no heading '{heading}'");
        var open = text.IndexOf("```csharp\n", start, StringComparison.Ordinal) + "```csharp\n".Length;
        var close = text.IndexOf("\n```", open, StringComparison.Ordinal);
        return text[open..close] + "\n";
    }

    /// <summary>A fresh application directory: the program, a project referencing the packages, a feed restricted to
    /// the fresh packages and the public registry, and no repository build settings.</summary>
    private string CreateConsumer(string name, string program, string feed, string version)
    {
        var consumer = Path.Combine(_work, name);
        Directory.CreateDirectory(consumer);
        var template = Path.Combine(AppContext.BaseDirectory, "Consumer");
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), program);
        File.WriteAllText(Path.Combine(consumer, name + ".csproj"),
            File.ReadAllText(Path.Combine(template, "Consumer.csproj.txt")).Replace("$(LlmDataDistVersion)", version, StringComparison.Ordinal));
        // Only the fresh feed and the public registry (for third-party dependencies) ...
        File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
            </configuration>
            """);
        // ... and no repository build settings (an empty Directory.Build.* stops MSBuild looking further up).
        File.WriteAllText(Path.Combine(consumer, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(consumer, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(consumer, "Directory.Packages.props"), "<Project />");
        return consumer;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // A build server may still hold a file; the temp folder is cleaned by the system later.
        }
    }

    private string Dotnet(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // A package cache of its own: a stale package with the same version in the user's cache cannot be picked up.
        start.Environment["NUGET_PACKAGES"] = Path.Combine(_work, "packages");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        // The test host runs under MSBuild's environment; a child build must resolve its own SDK and nodes.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        using var process = Process.Start(start)!;
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) => stderr.AppendLine(e.Data);
        process.BeginErrorReadLine();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        output.WriteLine($"dotnet {string.Join(' ', arguments)} -> {process.ExitCode}");
        output.WriteLine(stdout);
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} exited {process.ExitCode}:\n{stdout}\n{stderr}");
        return stdout;
    }

    private static string Metadata(string key) =>
        typeof(PackageConsumerTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
