using System.CommandLine;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using LlmDataDist.Simulator.Cli.Scenarios;
using Spectre.Console;

namespace LlmDataDist.Simulator.Cli;

/// <summary>
/// llmdd-sim: run a scenario (the default with no arguments), sweep a grid, compare runs, replay a saved run, bench the
/// link model. Bad input of any kind exits 2 with one line per problem and runs nothing.
/// </summary>
internal static class Cli
{
    public const int UsageError = 2;

    public static string Version { get; } =
        typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";

    public static int Main(string[] args)
    {
        var interactive = !Console.IsOutputRedirected && !Console.IsErrorRedirected;
        return Run(args, Console.Out, Console.Error, interactive);
    }

    /// <summary>Runs the command line in-process: what Main does, with the streams given (tests use this).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool interactive = false)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
            Out = new AnsiConsoleOutput(stdout),
        });
        if (!interactive)
        {
            console.Profile.Width = 160; // logs: no wrapping of long rows
        }

        var io = new Io(console, stderr, interactive);
        var root = Build(io);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                stderr.WriteLine($"llmdd-sim: {error.Message}");
            }

            stderr.WriteLine($"Try 'llmdd-sim {string.Join(' ', CommandPath(parsed))} --help'.".Replace("  ", " ", StringComparison.Ordinal));
            return UsageError;
        }

        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (UsageException ex)
        {
            foreach (var line in ex.Message.Split(Environment.NewLine))
            {
                stderr.WriteLine($"llmdd-sim: {line}");
            }

            return UsageError;
        }
        catch (LlmDataDist.Simulator.Scenarios.ScenarioSetUpException ex)
        {
            stderr.WriteLine($"llmdd-sim: the scenario could not start: {ex.Message}");
            return 1;
        }
        catch (IOException ex)
        {
            stderr.WriteLine($"llmdd-sim: {ex.Message}");
            return UsageError;
        }
        catch (UnauthorizedAccessException ex)
        {
            stderr.WriteLine($"llmdd-sim: {ex.Message}");
            return UsageError;
        }
    }

    private static List<string> CommandPath(System.CommandLine.ParseResult parsed)
    {
        var names = new List<string>();
        for (var result = parsed.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            if (result.Command is not RootCommand)
            {
                names.Insert(0, result.Command.Name);
            }
        }

        return names;
    }

    private static RootCommand Build(Io io)
    {
        var root = new RootCommand("llmdd-sim: what KV-cache transfer costs a prefill/decode deployment, and what breaks. " +
            "With no command it runs the built-in scenario (2P2D on two A2 servers, one RoCE link flap and the documented recovery).");
        foreach (var version in root.Options.OfType<VersionOption>())
        {
            version.Action = new PrintVersion(io); // the tool's version, also when hosted in-process
        }

        var rootRun = new RunOptions();
        rootRun.AddTo(root);
        root.SetAction(r => RunCommand(r, rootRun, io));

        var run = new Command("run", "Run a scenario: the built-in default, or --scenario file.json, with overrides.");
        var runOptions = new RunOptions();
        runOptions.AddTo(run);
        run.SetAction(r => RunCommand(r, runOptions, io));
        root.Subcommands.Add(run);

        root.Subcommands.Add(ReplayCommand(io));
        root.Subcommands.Add(CompareCommand(io));
        root.Subcommands.Add(Sweep.Command(io));
        root.Subcommands.Add(Bench.Command(io));

        var schema = new Command("schema", "Print the JSON schema of scenario files (for editors: \"$schema\").");
        schema.SetAction(_ =>
        {
            io.Out.Profile.Out.Writer.WriteLine(Schema());
            return 0;
        });
        root.Subcommands.Add(schema);
        return root;
    }

    private sealed class PrintVersion(Io io) : System.CommandLine.Invocation.SynchronousCommandLineAction
    {
        public override int Invoke(System.CommandLine.ParseResult parseResult)
        {
            io.Out.Profile.Out.Writer.WriteLine(Version);
            return 0;
        }
    }

    private static int RunCommand(System.CommandLine.ParseResult r, RunOptions options, Io io)
    {
        var (file, source, baseDirectory) = options.Load(r);
        var outDir = r.GetValue(options.NoFiles) ? null : r.GetValue(options.Out) ?? Path.Combine("artifacts", "scenario");
        return Runner.Execute(file, source, baseDirectory, options.LimitsOf(r), outDir, io).ExitCode;
    }

    private static Command ReplayCommand(Io io)
    {
        var summaryArg = new Argument<string>("summary") { Description = "a run's summary.json, or the directory holding it" };
        var outOption = RunOptions.OutOption("write the replay's files here too (default: none)");
        var command = new Command("replay", "Re-run a saved run from its summary.json (scenario and seed) and check the trace hash.") { summaryArg, outOption };
        command.SetAction(r =>
        {
            var (path, saved) = LoadSummary(r.GetValue(summaryArg)!);
            var replayed = Runner.Execute(saved.Scenario, path, Path.GetDirectoryName(Path.GetFullPath(path))!, Limits.Default with { MaxWallS = 604_800 },
                r.GetValue(outOption), io, quiet: true).Summary;
            if (replayed.TraceHash == saved.TraceHash)
            {
                io.Out.WriteLine($"replay ok: trace hash {replayed.TraceHash} ({replayed.TraceEvents} events) equals the saved run's");
                return 0;
            }

            io.Error.WriteLine($"llmdd-sim: replay differs: saved trace hash {saved.TraceHash} ({saved.TraceEvents} events), replayed {replayed.TraceHash} ({replayed.TraceEvents} events)");
            return 1;
        });
        return command;
    }

    private static Command CompareCommand(Io io)
    {
        var runs = new Argument<string[]>("runs") { Description = "two or more summary.json files (or their directories)", Arity = ArgumentArity.OneOrMore };
        runs.Validators.Add(result =>
        {
            if (result.Tokens.Count < 2)
            {
                result.AddError($"runs: give at least two summary.json files (got {result.Tokens.Count})");
            }
        });
        var outOption = RunOptions.OutOption("where compare-cdf.png goes (artifacts/compare)");
        var command = new Command("compare", "Put two or more runs side by side: a table and overlaid latency CDFs.") { runs, outOption };
        command.SetAction(r =>
        {
            var loaded = r.GetValue(runs)!.Select(LoadSummary).ToList();
            var labels = loaded.Select((l, i) => $"#{i + 1} {l.Summary.Scenario.Name}").ToList();
            var table = new Table().Border(io.Interactive ? TableBorder.Rounded : TableBorder.Ascii).AddColumn("metric");
            foreach (var label in labels)
            {
                table.AddColumn(new TableColumn(Markup.Escape(label)).RightAligned());
            }

            var rows = loaded.Select(l => l.Summary.Rows().ToList()).ToList();
            var names = rows.SelectMany(x => x.Select(row => row.Name)).Distinct().ToList();
            foreach (var name in names)
            {
                table.AddRow([Markup.Escape(name), .. rows.Select(x => Markup.Escape(x.FirstOrDefault(row => row.Name == name).Value ?? "-"))]);
            }

            io.Out.Write(table);
            var outDir = r.GetValue(outOption) ?? Path.Combine("artifacts", "compare");
            Directory.CreateDirectory(outDir);
            var plot = Path.Combine(outDir, "compare-cdf.png");
            var exposedPlot = Path.Combine(outDir, "compare-exposed-cdf.png");
            Plots.CompareCdf([.. labels.Zip(loaded, (label, l) => (label, l.Summary))]).SavePng(plot, Plots.Width, Plots.Height);
            Plots.CompareExposedCdf([.. labels.Zip(loaded, (label, l) => (label, l.Summary))]).SavePng(exposedPlot, Plots.Width, Plots.Height);
            io.Out.WriteLine($"plots: {plot} {exposedPlot}");
            return 0;
        });
        return command;
    }

    // Summaries are read leniently (a newer tool may add figures); the scenario inside is the part that must match.
    private static readonly JsonSerializerOptions SummaryJsonOptions = new(ScenarioLoader.JsonOptions)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip,
    };

    public static (string Path, RunSummary Summary) LoadSummary(string pathOrDirectory)
    {
        var path = Directory.Exists(pathOrDirectory) ? Path.Combine(pathOrDirectory, "summary.json") : pathOrDirectory;
        if (!File.Exists(path))
        {
            throw new UsageException($"{path}: summary.json not found");
        }

        try
        {
            var summary = JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(path), SummaryJsonOptions);
            return summary is null || string.IsNullOrEmpty(summary.TraceHash)
                ? throw new UsageException($"{path}: $: not an llmdd-sim summary (no traceHash)")
                : (path, summary);
        }
        catch (JsonException ex)
        {
            throw new UsageException($"{path}:{(ex.LineNumber ?? 0) + 1}: {ex.Path ?? "$"}: not a valid summary.json");
        }
    }

    /// <summary>The scenario file's JSON schema, from the same classes that read the files (one definition).</summary>
    public static string Schema()
    {
        var schema = ScenarioLoader.JsonOptions.GetJsonSchemaAsNode(typeof(ScenarioFile), new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = (context, node) =>
            {
                static string? DescriptionOf(ICustomAttributeProvider? provider) => provider?
                    .GetCustomAttributes(typeof(System.ComponentModel.DescriptionAttribute), inherit: false)
                    .OfType<System.ComponentModel.DescriptionAttribute>().FirstOrDefault()?.Description;
                var description = DescriptionOf(context.PropertyInfo?.AttributeProvider) ?? DescriptionOf(context.TypeInfo.Type);
                if (description is not null && node is JsonObject obj)
                {
                    obj.Insert(0, "description", description);
                }

                if (context.TypeInfo.Type == typeof(ScenarioFile) && context.PropertyInfo is null && node is JsonObject top)
                {
                    top.Insert(0, "$schema", "https://json-schema.org/draft/2020-12/schema");
                    top.Insert(1, "title", "llmdd-sim scenario");
                }

                return node;
            },
        });
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true }).ReplaceLineEndings("\n");
    }
}
