namespace LlmDataDist.Simulator.Cli.Tests;

/// <summary>Runs llmdd-sim in-process with captured output, in a fresh temporary directory per test.</summary>
internal sealed class CliHarness : IDisposable
{
    /// <summary>A small, fast scenario: 1P1D, a short window, short decodes.</summary>
    public const string Small = """
        {
          "name": "small",
          "placement": { "prompts": 1, "decoders": 1 },
          "arrivals": { "rate": 40, "durationMs": 300 },
          "decode": { "tokensMean": 4 }
        }
        """;

    public CliHarness()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("llmdd-sim-tests-").FullName;
    }

    public string Directory { get; }

    public string PathOf(string name) => Path.Combine(Directory, name);

    public string Write(string name, string text)
    {
        var path = PathOf(name);
        File.WriteAllText(path, text);
        return path;
    }

    public (int Code, string Out, string Error) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = Cli.Run(args, stdout, stderr, interactive: false);
        return (code, stdout.ToString(), stderr.ToString());
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // a reader still holds a file: the temp directory is cleaned by the OS later
        }
    }
}
