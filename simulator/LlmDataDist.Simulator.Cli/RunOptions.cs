using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using LlmDataDist.Simulator.Cli.Scenarios;
using LlmDataDist.Simulator.Scenarios;

namespace LlmDataDist.Simulator.Cli;

/// <summary>
/// The options that shape a run: a scenario file and overrides of its values, and the limits of the resource guards.
/// Every value is checked as it is parsed; a bad one fails with <c>--option: rule (got 'text')</c>.
/// </summary>
internal sealed class RunOptions
{
    public Option<string?> Scenario { get; } = new("--scenario", "-s") { Description = "Scenario file (JSON, or YAML as .yaml/.yml; see `llmdd-sim schema`); default: the built-in 2P2D demo", HelpName = "file" };

    public Option<ulong?> Seed { get; } = Number<ulong>("--seed", "world and request seed", "must be a whole number 0..18446744073709551615", _ => true);

    public Option<string?> Topology { get; } = Choice("--topology", "server preset", "a2", "a3");

    public Option<int?> Servers { get; } = Number<int>("--servers", "servers in the topology", "must be a whole number 1..64", v => v is >= 1 and <= 64);

    public Option<int?> Prompts { get; } = Number<int>("--prompts", "prompt (prefill) instances, P of xPyD", "must be a whole number 1..1024", v => v is >= 1 and <= 1024);

    public Option<int?> Decoders { get; } = Number<int>("--decoders", "decoder instances, D of xPyD", "must be a whole number 1..1024", v => v is >= 1 and <= 1024);

    public Option<string?> Profile { get; } = Choice("--profile", "engine profile", "ce", "hx");

    public Option<string?> Model { get; } = Choice("--model", "KV layout preset", [.. KvModel.Presets.Select(m => m.Name)]);

    public Option<double?> Rate { get; } = Number<double>("--rate", "mean arrivals per second (Poisson)", "must be a number > 0 and <= 10000000", v => double.IsFinite(v) && v > 0 && v <= 10_000_000);

    public Option<long?> Requests { get; } = Number<long>("--requests", "stop arrivals after this many requests", "must be a whole number >= 1", v => v >= 1);

    public Option<double?> DurationMs { get; } = Number<double>("--duration-ms", "arrival window in virtual ms", "must be a number 0.001..1000000000", v => double.IsFinite(v) && v is >= 0.001 and <= 1e9);

    public Option<int?> PromptTokens { get; } = Number<int>("--prompt-tokens", "mean prompt tokens", "must be a whole number 1..1000000", v => v is >= 1 and <= 1_000_000);

    public Option<int?> OutputTokens { get; } = Number<int>("--output-tokens", "output tokens (decode holds the blocks that long)", "must be a whole number 0..1000000", v => v is >= 0 and <= 1_000_000);

    public Option<int?> Blocks { get; } = Number<int>("--blocks", "KV pool per instance, in blocks", "must be a whole number 1..1000000", v => v is >= 1 and <= 1_000_000);

    public Option<int?> Retries { get; } = Number<int>("--retries", "pull retries after the documented relink", "must be a whole number 0..10", v => v is >= 0 and <= 10);

    public Option<ulong?> Chaos { get; } = Number<ulong>("--chaos", "draw a random fault plan from this seed", "must be a whole number 0..18446744073709551615", _ => true);

    public Option<string?> Calibration { get; } = CalibrationOption();

    public Option<bool> Bytes { get; } = new("--bytes") { Description = "move and verify real bytes (default: sizes only)" };

    public Option<bool> LateLanding { get; } = new("--late-landing") { Description = "pessimistic fault: a timed-out pull keeps landing until its link is torn down" };

    public Option<double?> RecoveryDelayMs { get; } = Number<double>("--recovery-delay-ms", "virtual ms from a pull's timeout to the start of its link's recovery (0)", "must be a number 0..3600000", v => double.IsFinite(v) && v is >= 0 and <= 3_600_000);

    public Option<bool> NoQuarantine { get; } = new("--no-quarantine") { Description = "free a timed-out pull's decoder blocks at once (the naive scheduler) instead of after the link's teardown" };

    public Option<string?> Transfer { get; } = Choice("--transfer", "transfer mode (pull-blocks)", [.. ScenarioLoader.Modes.Keys]);

    public Option<int?> LayersPerCall { get; } = Number<int>("--layers-per-call", "layers per transfer call, layer-wise (0: every layer in one call)", "must be a whole number 0..1000", v => v is >= 0 and <= 1000);

    public Option<bool> NoOverlap { get; } = new("--no-overlap") { Description = "layer-wise: move every layer group after the whole prefill instead of as prefill computes it" };

    public Option<string?> Out { get; } = OutOption("where summary.json, transfers.csv, trace.json, plots and report.html go (artifacts/scenario)");

    public Option<bool> NoFiles { get; } = new("--no-files") { Description = "write nothing; print the summary only" };

    public Option<int?> MaxMemoryMb { get; } = Number<int>("--max-memory-mb", "refuse runs estimated above this memory (4096)", "must be a whole number 64..1048576", v => v is >= 64 and <= 1_048_576);

    public Option<int?> MaxWallS { get; } = Number<int>("--max-wall-s", "refuse runs estimated above this wall time (900)", "must be a whole number 1..604800", v => v is >= 1 and <= 604_800);

    public Option<long?> MaxTraceEvents { get; } = Number<long>("--max-trace-events", "keep trace.json only up to this many events (2000000)", "must be a whole number 0..100000000", v => v is >= 0 and <= 100_000_000);

    public IEnumerable<Option> All =>
    [
        Scenario, Seed, Topology, Servers, Prompts, Decoders, Profile, Model, Rate, Requests, DurationMs, PromptTokens, OutputTokens, Blocks,
        Retries, Chaos, Calibration, Bytes, LateLanding, NoQuarantine, RecoveryDelayMs, Transfer, LayersPerCall, NoOverlap, Out, NoFiles, MaxMemoryMb, MaxWallS, MaxTraceEvents,
    ];

    public void AddTo(Command command)
    {
        foreach (var option in All)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The scenario (file or built-in) with this command line's overrides applied.</summary>
    public (ScenarioFile File, string Source, string BaseDirectory) Load(ParseResult result)
    {
        var path = result.GetValue(Scenario);
        var file = path is null ? ScenarioLoader.BuiltIn() : ScenarioLoader.Load(path);
        var source = path ?? ScenarioLoader.BuiltInName;
        Apply(result, file);
        return (file, source, path is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    public void Apply(ParseResult r, ScenarioFile f)
    {
        if (r.GetValue(Seed) is { } seed) { f.Seed = seed; }
        if (r.GetValue(Topology) is { } topology) { f.Topology.Preset = topology; }
        if (r.GetValue(Servers) is { } servers) { f.Topology.Servers = servers; }
        if (r.GetValue(Prompts) is { } prompts) { f.Placement.Prompts = prompts; }
        if (r.GetValue(Decoders) is { } decoders) { f.Placement.Decoders = decoders; }
        if (r.GetValue(Profile) is { } profile) { f.Profile = profile; }
        if (r.GetValue(Model) is { } model) { f.Model = new ModelSection { Preset = model }; }
        if (r.GetValue(Rate) is { } rate) { f.Arrivals.Rate = rate; }
        if (r.GetValue(Requests) is { } requests) { f.Arrivals.MaxRequests = requests; }
        if (r.GetValue(DurationMs) is { } duration) { f.Arrivals.DurationMs = duration; }
        if (r.GetValue(PromptTokens) is { } promptTokens) { f.Prefill.TokensMean = promptTokens; }
        if (r.GetValue(OutputTokens) is { } outputTokens) { f.Decode.TokensMean = outputTokens; }
        if (r.GetValue(Blocks) is { } blocks) { f.Transfer.PoolBlocks = blocks; }
        if (r.GetValue(Retries) is { } retries) { f.Transfer.Retries = retries; }
        if (r.GetValue(Chaos) is { } chaos) { f.Faults.ChaosSeed = chaos; }
        if (r.GetValue(Bytes)) { f.Transfer.RealBytes = true; }
        if (r.GetValue(Calibration) is { } calibration) { f.Topology.CalibrationCsv = Path.GetFullPath(calibration); }
        if (r.GetValue(LateLanding)) { f.Faults.LateLanding = true; }
        if (r.GetValue(NoQuarantine)) { f.Transfer.Quarantine = false; }
        if (r.GetValue(RecoveryDelayMs) is { } recoveryDelay) { f.Transfer.RecoveryDelayMs = recoveryDelay; }
        if (r.GetValue(Transfer) is { } transfer) { f.Transfer.Mode = transfer; }
        if (r.GetValue(LayersPerCall) is { } layersPerCall) { f.Transfer.LayersPerCall = layersPerCall; }
        if (r.GetValue(NoOverlap)) { f.Transfer.OverlapPrefill = false; }
    }

    public Limits LimitsOf(ParseResult r) => new(
        r.GetValue(MaxMemoryMb) ?? Limits.Default.MaxMemoryMb,
        r.GetValue(MaxWallS) ?? Limits.Default.MaxWallS,
        r.GetValue(MaxTraceEvents) ?? Limits.Default.MaxTraceEvents);

    public static Option<T?> Number<T>(string name, string description, string rule, Func<T, bool> valid)
        where T : struct, IParsable<T> => new(name)
        {
            Description = description,
            HelpName = typeof(T) == typeof(double) ? "number" : "n",
            CustomParser = result => Parse(result, name, rule, valid),
        };

    public static Option<string?> Choice(string name, string description, params string[] choices) => new(name)
    {
        Description = $"{description}: {string.Join(", ", choices)}",
        HelpName = string.Join('|', choices),
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
            var choice = choices.FirstOrDefault(c => c.Equals(text, StringComparison.OrdinalIgnoreCase));
            if (choice is null)
            {
                result.AddError($"{name}: must be one of {string.Join(", ", choices)} (got '{text}')");
            }

            return choice;
        },
    };

    public static Option<string?> CalibrationOption() => new("--calibration")
    {
        Description = "price transfers with a latency model fitted to this CSV (platform,transport,path,direction,block_bytes,total_bytes,gbps)",
        HelpName = "file.csv",
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
            if (!File.Exists(text))
            {
                result.AddError($"--calibration: must be an existing CSV file (got '{text}')");
                return null;
            }

            return text;
        },
    };

    public static Option<string?> OutOption(string description) => new("--out", "-o")
    {
        Description = description,
        HelpName = "dir",
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
            if (text.Length == 0 || text.StartsWith('-'))
            {
                result.AddError($"--out: must be a directory path, not an option or nothing (got '{text}')");
                return null;
            }

            return text;
        },
    };

    private static T? Parse<T>(ArgumentResult result, string name, string rule, Func<T, bool> valid)
        where T : struct, IParsable<T>
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
        if (T.TryParse(text, CultureInfo.InvariantCulture, out var value) && valid(value))
        {
            return value;
        }

        result.AddError($"{name}: {rule} (got '{text}')");
        return null;
    }
}

/// <summary>Limits of the resource guards.</summary>
internal sealed record Limits(int MaxMemoryMb, int MaxWallS, long MaxTraceEvents)
{
    public static Limits Default { get; } = new(4096, 900, 2_000_000);
}
