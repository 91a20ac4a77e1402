using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using LlmDataDist.Simulator.Scenarios;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Cli.Scenarios;

/// <summary>
/// Reads, validates and resolves scenario files. Every problem is reported as <c>source: $.json.path: rule</c>
/// (with line and column for syntax errors), all of them at once, and nothing runs.
/// </summary>
internal static class ScenarioLoader
{
    public const string BuiltInName = "built-in default";

    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The built-in default: 2P2D on two A2 servers, one RoCE link flap and the documented recovery.</summary>
    public static ScenarioFile BuiltIn()
    {
        using var stream = typeof(ScenarioLoader).Assembly.GetManifestResourceStream("LlmDataDist.Simulator.Cli.default.scenario.json")
            ?? throw new InvalidOperationException("the built-in scenario is not embedded");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), BuiltInName);
    }

    public static ScenarioFile Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"{path}: scenario file not found");
        }

        var text = File.ReadAllText(path);
        return YamlScenario.IsYaml(path) ? ParseYaml(text, path) : Parse(text, path);
    }

    /// <summary>A YAML scenario: the same node tree as JSON, the same rules; messages give <c>file:line:col</c>.</summary>
    public static ScenarioFile ParseYaml(string yaml, string source)
    {
        var (root, map) = YamlScenario.Read(yaml, source);
        if (root is not JsonObject)
        {
            throw new UsageException($"{map.Locate("$")}: $: must be a mapping of scenario sections");
        }

        try
        {
            var file = root.Deserialize<ScenarioFile>(JsonOptions)!;
            file.Locations = map;
            return file;
        }
        catch (JsonException ex)
        {
            var path = ex.Path ?? "$";
            throw new UsageException($"{map.Locate(path)}: {path}: {Rule(ex)}");
        }
    }

    public static ScenarioFile Parse(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<ScenarioFile>(json, JsonOptions) ?? throw new UsageException($"{source}: $: must be a JSON object, not null");
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $"{source}:{line + 1}:{(ex.BytePositionInLine ?? 0) + 1}" : source;
            throw new UsageException($"{where}: {ex.Path ?? "$"}: {Rule(ex)}");
        }
    }

    // System.Text.Json's messages name .NET types; say what the file must contain instead.
    internal static string Rule(JsonException ex)
    {
        var message = ex.Message;
        if (message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            var start = message.IndexOf('\'', StringComparison.Ordinal);
            var end = start < 0 ? -1 : message.IndexOf('\'', start + 1);
            var name = end > start ? message[(start + 1)..end] : "?";
            return $"unknown property '{name}' (see the schema: llmdd-sim schema)";
        }

        if (message.Contains("missing required properties", StringComparison.Ordinal))
        {
            var start = message.IndexOf('\'', StringComparison.Ordinal);
            return $"missing required property {(start < 0 ? "" : message[start..].TrimEnd('.'))}";
        }

        if (message.Contains("doesn't allow null", StringComparison.Ordinal) || message.Contains("does not allow null", StringComparison.Ordinal))
        {
            return "must not be null";
        }

        if (message.Contains("could not be converted to", StringComparison.Ordinal))
        {
            return message switch
            {
                _ when message.Contains("Simulator.Platform", StringComparison.Ordinal) => "must be A2, A3 or null",
                _ when message.Contains("System.UInt64", StringComparison.Ordinal) => "must be a whole number 0..18446744073709551615",
                _ when message.Contains("System.Int32", StringComparison.Ordinal) => "must be a whole number",
                _ when message.Contains("System.Int64", StringComparison.Ordinal) => "must be a whole number",
                _ when message.Contains("System.Double", StringComparison.Ordinal) => "must be a number",
                _ when message.Contains("System.Boolean", StringComparison.Ordinal) => "must be true or false",
                _ when message.Contains("System.String", StringComparison.Ordinal) => "must be a string",
                _ when message.Contains("List", StringComparison.Ordinal) => "must be an array",
                _ => "must be an object",
            };
        }

        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return "not valid JSON: " + (cut > 0 ? message[..cut] : message);
    }

    /// <summary>Checks every rule and builds the spec; throws <see cref="UsageException"/> listing every problem.</summary>
    /// <param name="file">The scenario.</param>
    /// <param name="source">File name (or "built-in default") for messages.</param>
    /// <param name="baseDirectory">Where a relative trace CSV is looked up.</param>
    public static ScenarioSpec Resolve(ScenarioFile file, string source, string baseDirectory)
    {
        var errors = new List<string>();
        void Fail(string path, string rule) => errors.Add($"{file.Locations?.Locate(path) ?? source}: {path}: {rule}");
        string Got(double value) => value.ToString("G", CultureInfo.InvariantCulture);

        if (file.Topology is null || file.Placement is null || file.Model is null || file.Transfer is null || file.Arrivals is null
            || file.Prefill is null || file.Decode is null || file.Faults is null || file.Faults.LinkFlaps is null || file.Faults.LinkDowns is null)
        {
            throw new UsageException($"{source}: $: sections must be objects (and fault lists arrays), not null");
        }

        if (string.IsNullOrWhiteSpace(file.Name) || file.Name.Length > 80)
        {
            Fail("$.name", "must be 1..80 characters");
        }

        var profile = file.Profile?.ToLowerInvariant();
        if (profile is not ("ce" or "hx"))
        {
            Fail("$.profile", $"must be ce or hx (got '{file.Profile}')");
        }

        if (file.Placement.Prompts is < 1 or > 1024)
        {
            Fail("$.placement.prompts", $"must be 1..1024 (got {file.Placement.Prompts})");
        }

        if (file.Placement.Decoders is < 1 or > 1024)
        {
            Fail("$.placement.decoders", $"must be 1..1024 (got {file.Placement.Decoders})");
        }

        LatencyModel? latencyModel = null;
        if (file.Topology.CalibrationCsv is { } calibration)
        {
            latencyModel = FitCalibration(Path.Combine(baseDirectory, calibration), "$.topology.calibrationCsv", Fail);
        }

        var topologyErrors = errors.Count;
        var (topology, topologyKind) = TopologyResolver.Resolve(file.Topology, latencyModel, baseDirectory, Fail);
        ScenarioPlacement? placement = null;
        if (topology is not null && errors.Count == topologyErrors && file.Placement.Prompts >= 1 && file.Placement.Decoders >= 1)
        {
            placement = TopologyResolver.Place(file.Placement, topology, topologyKind, Fail);
        }

        var model = ResolveModel(file.Model, Fail);
        var mode = ParseMode(file.Transfer.Mode);
        if (mode is null)
        {
            Fail("$.transfer.mode", $"must be one of {string.Join(", ", Modes.Keys)} (got '{file.Transfer.Mode}')");
        }

        if (model is not null && file.Transfer.LayersPerCall is var perCall && (perCall < 0 || perCall > model.Layers))
        {
            Fail("$.transfer.layersPerCall", $"must be 0 (every layer in one call) .. {model.Layers} (the layers of {model.Name}) (got {perCall})");
        }

        if (file.Transfer.Retries is < 0 or > 10)
        {
            Fail("$.transfer.retries", $"must be 0..10 (got {file.Transfer.Retries})");
        }

        if (!double.IsFinite(file.Transfer.RecoveryDelayMs) || file.Transfer.RecoveryDelayMs is < 0 or > 3_600_000)
        {
            Fail("$.transfer.recoveryDelayMs", $"must be 0..3600000 (got {file.Transfer.RecoveryDelayMs})");
        }

        if (file.Transfer.PoolBlocks is < 1 or > 1_000_000)
        {
            Fail("$.transfer.poolBlocks", $"must be 1..1000000 (got {file.Transfer.PoolBlocks})");
        }

        var a = file.Arrivals;
        if (!double.IsFinite(a.Rate) || a.Rate <= 0 || a.Rate > 10_000_000)
        {
            Fail("$.arrivals.rate", $"must be a number > 0 and <= 10000000 requests/s (got {Got(a.Rate)})");
        }

        if (!double.IsFinite(a.DurationMs) || a.DurationMs < 0.001 || a.DurationMs > 1e9)
        {
            Fail("$.arrivals.durationMs", $"must be 0.001..1000000000 ms (got {Got(a.DurationMs)})");
        }

        if (a.MaxRequests is < 1)
        {
            Fail("$.arrivals.maxRequests", $"must be >= 1 (got {a.MaxRequests})");
        }

        IReadOnlyList<ArrivalRow>? trace = null;
        if (a.TraceCsv is { } csv)
        {
            trace = ReadArrivalCsv(Path.Combine(baseDirectory, csv), Fail);
        }

        if (file.Prefill.TokensMean is < 1 or > 1_000_000)
        {
            Fail("$.prefill.tokensMean", $"must be 1..1000000 (got {file.Prefill.TokensMean})");
        }

        if (!double.IsFinite(file.Prefill.UsPerToken) || file.Prefill.UsPerToken is < 0 or > 1_000_000)
        {
            Fail("$.prefill.usPerToken", $"must be 0..1000000 µs (got {Got(file.Prefill.UsPerToken)})");
        }

        if (file.Decode.TokensMean is < 0 or > 1_000_000)
        {
            Fail("$.decode.tokensMean", $"must be 0..1000000 (got {file.Decode.TokensMean})");
        }

        if (!double.IsFinite(file.Decode.MsPerToken) || file.Decode.MsPerToken is < 0 or > 100_000)
        {
            Fail("$.decode.msPerToken", $"must be 0..100000 ms (got {Got(file.Decode.MsPerToken)})");
        }

        if (model is not null && mode is TransferMode.PullCache or TransferMode.PushCache && trace is { Count: > 0 } && file.Transfer.PoolBlocks >= 1)
        {
            // One cache row per request, as long as the longest prompt of the trace.
            var row = model.BlocksFor(trace.Max(r => r.PromptTokens));
            if (row > file.Transfer.PoolBlocks)
            {
                Fail("$.transfer.poolBlocks", $"{file.Transfer.Mode}: a cache row for the trace's longest prompt needs {row} blocks of {model.BlockTokens} tokens: raise poolBlocks (--blocks) to at least {row}");
            }
        }

        if (model is not null && file.Transfer.PoolBlocks >= 1 && file.Prefill.TokensMean >= 1 && trace is null)
        {
            var largest = model.BlocksFor((file.Prefill.TokensMean * 3 / 2) + 1);
            if (largest > file.Transfer.PoolBlocks)
            {
                Fail("$.transfer.poolBlocks", $"a prompt of up to {(file.Prefill.TokensMean * 3 / 2) + 1} tokens needs {largest} blocks of {model.BlockTokens} tokens: raise poolBlocks (--blocks) to at least {largest}");
            }
        }

        if (model is not null && placement is not null && topology is not null && file.Transfer.PoolBlocks >= 1)
        {
            // Every pool lives in its NPU's HBM (a what-if or custom HBM can be too small for it).
            var poolBytes = (long)file.Transfer.PoolBlocks * model.BlockBytes * model.Tensors;
            var smallest = placement.PromptNpus.Concat(placement.DecoderNpus).Select(n => topology.Npus[n]).MinBy(n => n.HbmBytes)!;
            if (poolBytes > smallest.HbmBytes)
            {
                Fail("$.transfer.poolBlocks", string.Create(CultureInfo.InvariantCulture,
                    $"a pool of {file.Transfer.PoolBlocks} blocks of {model.Name} needs {poolBytes / (double)(1L << 30):F1} GiB per instance but {smallest} has {smallest.HbmBytes / (double)(1L << 30):F1} GiB of HBM: lower poolBlocks (--blocks) to at most {smallest.HbmBytes / (model.BlockBytes * model.Tensors)}"));
            }
        }

        var faults = ResolveFaults(file.Faults, topology, Fail);
        if (errors.Count > 0)
        {
            throw new UsageException(string.Join(Environment.NewLine, errors));
        }

        return new ScenarioSpec(
            Seed: file.Seed,
            TopologyKind: topologyKind,
            Servers: topology!.Servers.Count,
            Prompts: file.Placement.Prompts,
            Decoders: file.Placement.Decoders,
            Profile: profile == "hx" ? EngineProfile.HX : EngineProfile.CE,
            Model: model,
            RequestsPerSecond: a.Rate,
            PromptTokensMean: file.Prefill.TokensMean,
            OutputTokensMean: file.Decode.TokensMean,
            PrefillNsPerToken: (long)Math.Round(file.Prefill.UsPerToken * SimTime.NsPerUs),
            DecodeNsPerToken: (long)Math.Round(file.Decode.MsPerToken * SimTime.NsPerMs),
            DurationNs: Math.Max(1, (long)Math.Round(a.DurationMs * SimTime.NsPerMs)),
            BlocksPerInstance: file.Transfer.PoolBlocks,
            MetadataOnly: !file.Transfer.RealBytes,
            ChaosSeed: file.Faults.ChaosSeed,
            Faults: faults,
            PullRetries: file.Transfer.Retries,
            MaxRequests: a.MaxRequests ?? long.MaxValue,
            ArrivalTrace: trace,
            LatencyModel: latencyModel,
            LateLanding: file.Faults.LateLanding,
            Quarantine: file.Transfer.Quarantine,
            RecoveryDelayNs: (long)Math.Round(file.Transfer.RecoveryDelayMs * SimTime.NsPerMs))
        {
            Transfer = mode!.Value,
            LayersPerCall = file.Transfer.LayersPerCall,
            Topology = topology,
            Placement = placement,
            OverlapPrefill = file.Transfer.OverlapPrefill,
        };
    }

    /// <summary>The scenario as summary.json keeps it for replay: a topology file is inlined as <c>custom</c>, so the
    /// saved run does not depend on where that file was.</summary>
    public static ScenarioFile SelfContained(ScenarioFile file, string baseDirectory)
    {
        if (file.Topology?.File is not { } path)
        {
            return file;
        }

        var copy = JsonSerializer.Deserialize<ScenarioFile>(JsonSerializer.Serialize(file, JsonOptions), JsonOptions)!;
        copy.Topology.Custom = JsonNode.Parse(File.ReadAllText(Path.Combine(baseDirectory, path)))!.AsObject();
        copy.Topology.File = null;
        return copy;
    }

    /// <summary>The transfer modes by their scenario-file (and --transfer) name.</summary>
    public static IReadOnlyDictionary<string, TransferMode> Modes { get; } = new Dictionary<string, TransferMode>
    {
        ["pull-blocks"] = TransferMode.PullBlocks,
        ["push-blocks"] = TransferMode.PushBlocks,
        ["pull-cache"] = TransferMode.PullCache,
        ["push-cache"] = TransferMode.PushCache,
    };

    private static TransferMode? ParseMode(string? name) => name is not null && Modes.TryGetValue(name, out var mode) ? mode : null;

    /// <summary>A latency model fitted to a calibration CSV; problems go to <paramref name="fail"/> under <paramref name="jsonPath"/>.</summary>
    public static LatencyModel? FitCalibration(string path, string jsonPath, Action<string, string> fail)
    {
        if (!File.Exists(path))
        {
            fail(jsonPath, $"calibration CSV not found: {path}");
            return null;
        }

        try
        {
            return LatencyModel.Fit(CalibrationData.Load(path));
        }
        catch (CalibrationFormatException ex)
        {
            fail(jsonPath, ex.Message);
        }
        catch (ArgumentException ex)
        {
            fail(jsonPath, $"{path}: {ex.Message}");
        }

        return null;
    }

    private static KvModel? ResolveModel(ModelSection m, Action<string, string> fail)
    {
        var custom = m.Layers is not null || m.BytesPerTokenPerTensor is not null || m.BlockTokens is not null;
        if (m.Preset == "custom")
        {
            if (m.Layers is not (>= 1 and <= 1000))
            {
                fail("$.model.layers", $"custom model: must be 1..1000 (got {m.Layers?.ToString(CultureInfo.InvariantCulture) ?? "nothing"})");
            }

            if (m.BytesPerTokenPerTensor is not (>= 1 and <= 16_777_216))
            {
                fail("$.model.bytesPerTokenPerTensor", $"custom model: must be 1..16777216 (got {m.BytesPerTokenPerTensor?.ToString(CultureInfo.InvariantCulture) ?? "nothing"})");
            }

            if (m.BlockTokens is not (>= 1 and <= 65_536))
            {
                fail("$.model.blockTokens", $"custom model: must be 1..65536 (got {m.BlockTokens?.ToString(CultureInfo.InvariantCulture) ?? "nothing"})");
            }

            return m.Layers is >= 1 and <= 1000 && m.BytesPerTokenPerTensor is >= 1 and <= 16_777_216 && m.BlockTokens is >= 1 and <= 65_536
                ? new KvModel("custom", m.Layers.Value, m.BytesPerTokenPerTensor.Value, m.BlockTokens.Value)
                : null;
        }

        var preset = KvModel.Presets.FirstOrDefault(p => p.Name == m.Preset);
        if (preset is null)
        {
            fail("$.model.preset", $"must be one of {string.Join(", ", KvModel.Presets.Select(p => p.Name))}, custom (got '{m.Preset}')");
        }
        else if (custom)
        {
            fail("$.model", "layers, bytesPerTokenPerTensor and blockTokens need preset custom");
        }

        return preset;
    }

    private static FaultPlan? ResolveFaults(FaultsSection f, Topology? topology, Action<string, string> fail)
    {
        var script = new List<ScheduledFault>();
        static long Ns(double ms) => (long)Math.Round(ms * SimTime.NsPerMs);
        void CheckLink(string path, string? link)
        {
            if (string.IsNullOrEmpty(link))
            {
                fail(path, "must name a link (npu0.roce.tx) or a pattern (npu0.*, *)");
            }
            else if (topology is not null && topology.MatchLinks(link).Count == 0)
            {
                fail(path, $"'{link}' matches no link of {topology.Name} (e.g. npu0.roce.tx, npu0.hccs.rx, npu0.*)");
            }
        }

        if (!double.IsFinite(f.TransferDropPercent) || f.TransferDropPercent is < 0 or > 100)
        {
            fail("$.faults.transferDropPercent", $"must be 0..100 (got {f.TransferDropPercent.ToString(CultureInfo.InvariantCulture)})");
        }

        for (var i = 0; i < f.LinkFlaps.Count; i++)
        {
            var flap = f.LinkFlaps[i];
            var path = $"$.faults.linkFlaps[{i}]";
            CheckLink(path + ".link", flap.Link);
            if (!double.IsFinite(flap.FromMs) || flap.FromMs < 0)
            {
                fail(path + ".fromMs", "must be >= 0");
            }

            if (!double.IsFinite(flap.UntilMs) || flap.UntilMs <= flap.FromMs)
            {
                fail(path + ".untilMs", $"must be after fromMs ({flap.FromMs.ToString(CultureInfo.InvariantCulture)})");
            }

            if (!double.IsFinite(flap.PeriodMs) || Ns(flap.PeriodMs) < 2)
            {
                fail(path + ".periodMs", "must be at least 0.000002 ms (2 ns)");
            }

            script.Add(new LinkFlapFault(flap.Link, Ns(flap.FromMs), Ns(flap.UntilMs), Math.Max(2, Ns(flap.PeriodMs))));
        }

        for (var i = 0; i < f.LinkDowns.Count; i++)
        {
            var down = f.LinkDowns[i];
            var path = $"$.faults.linkDowns[{i}]";
            CheckLink(path + ".link", down.Link);
            if (!double.IsFinite(down.AtMs) || down.AtMs < 0)
            {
                fail(path + ".atMs", "must be >= 0");
            }

            if (!double.IsFinite(down.DurationMs) || down.DurationMs <= 0)
            {
                fail(path + ".durationMs", "must be > 0");
            }

            script.Add(new LinkDownFault(down.Link, Ns(down.AtMs), Math.Max(1, Ns(down.DurationMs))));
        }

        var drop = f.TransferDropPercent > 0 ? new Ratio((ulong)Math.Round(f.TransferDropPercent * 100), 10_000) : Ratio.Zero;
        return script.Count == 0 && drop == Ratio.Zero ? null : new FaultPlan(drop, script);
    }

    private static List<ArrivalRow>? ReadArrivalCsv(string path, Action<string, string> fail)
    {
        if (!File.Exists(path))
        {
            fail("$.arrivals.traceCsv", $"file not found: {path}");
            return null;
        }

        var rows = new List<ArrivalRow>();
        var lineNumber = 0;
        var last = 0.0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line) || (lineNumber == 1 && !char.IsAsciiDigit(line.TrimStart()[0])))
            {
                continue; // blank lines and the header
            }

            var cells = line.Split(',');
            if (cells.Length != 3
                || !double.TryParse(cells[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) || !double.IsFinite(ms) || ms < last
                || !int.TryParse(cells[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var prompt) || prompt < 1
                || !int.TryParse(cells[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var output) || output < 0)
            {
                fail("$.arrivals.traceCsv", $"{path}:{lineNumber}: rows must be arrival_ms (not decreasing), prompt_tokens >= 1, output_tokens >= 0");
                return null;
            }

            last = ms;
            rows.Add(new ArrivalRow((long)Math.Round(ms * SimTime.NsPerMs), prompt, output));
        }

        if (rows.Count == 0)
        {
            fail("$.arrivals.traceCsv", $"{path}: no rows");
            return null;
        }

        return rows;
    }
}
