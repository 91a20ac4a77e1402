using System.Globalization;
using System.Text.Json;
using LlmDataDist.Simulator.Scenarios;

namespace LlmDataDist.Simulator.Cli.Scenarios;

/// <summary>
/// The topology section (a preset with what-if figures, a topology file, or a custom topology inline) and the
/// placement section, checked and built. Problems go to the loader's <c>fail(jsonPath, rule)</c>.
/// </summary>
internal static class TopologyResolver
{
    // Both presets have one 200 Gb/s RoCE port per NPU (die): hardware-model.md.
    private const double PresetRoceGbps = 200;

    private const double GiB = 1L << 30;

    /// <summary>The topology, and its kind for the spec ("a2", "a3" or "custom"); null topology after a problem.</summary>
    public static (Topology? Topology, string Kind) Resolve(TopologySection t, LatencyModel? latencyModel, string baseDirectory, Action<string, string> fail)
    {
        var presetFields = new (string Name, bool Set)[]
        {
            ("preset", t.Preset is not null), ("servers", t.Servers is not null), ("npusPerServer", t.NpusPerServer is not null),
            ("serversPerSuperNode", t.ServersPerSuperNode is not null), ("hbmGiB", t.HbmGiB is not null), ("hccs", t.Hccs is not null), ("roce", t.Roce is not null),
        }.Where(f => f.Set).Select(f => f.Name).ToList();
        var ways = (presetFields.Count > 0 ? 1 : 0) + (t.File is null ? 0 : 1) + (t.Custom is null ? 0 : 1);
        if (ways > 1)
        {
            var given = presetFields.Concat(t.File is null ? [] : ["file"]).Concat(t.Custom is null ? [] : ["custom"]);
            fail("$.topology", $"give the topology one way: a preset (preset, servers, what-if figures), file, or custom; this gives {string.Join(", ", given)} (--topology and --servers set preset and servers)");
            return (null, "custom");
        }

        if (t.File is { } path)
        {
            var full = Path.Combine(baseDirectory, path);
            if (!File.Exists(full))
            {
                fail("$.topology.file", $"topology file not found: {full}");
                return (null, "custom");
            }

            return (Read(File.ReadAllText(full), latencyModel, "$.topology.file", full, fail), "custom");
        }

        if (t.Custom is { } custom)
        {
            return (Read(custom.ToJsonString(), latencyModel, "$.topology.custom", null, fail), "custom");
        }

        return Preset(t, latencyModel, fail);
    }

    private static (Topology?, string) Preset(TopologySection t, LatencyModel? latencyModel, Action<string, string> fail)
    {
        var preset = (t.Preset ?? "a2").ToLowerInvariant();
        var servers = t.Servers ?? 2;
        var ok = true;
        void Check(bool good, string path, string rule)
        {
            if (!good)
            {
                fail(path, rule);
                ok = false;
            }
        }

        Check(preset is "a2" or "a3", "$.topology.preset", $"must be a2 or a3 (got '{t.Preset}')");
        Check(servers is >= 1 and <= 64, "$.topology.servers", $"must be 1..64 (got {servers})");
        Check(t.NpusPerServer is null or (>= 1 and <= 64), "$.topology.npusPerServer", $"must be 1..64 (got {t.NpusPerServer})");
        Check(t.ServersPerSuperNode is null || preset == "a3", "$.topology.serversPerSuperNode", "a3 only (a2 servers are their own HCCS domain)");
        Check(t.ServersPerSuperNode is null or (>= 1 and <= 64), "$.topology.serversPerSuperNode", $"must be 1..64 (got {t.ServersPerSuperNode})");
        Check(t.HbmGiB is null || (double.IsFinite(t.HbmGiB.Value) && t.HbmGiB > 0 && t.HbmGiB * GiB <= SimAddress.SpaceBytesMax), "$.topology.hbmGiB",
            $"must be a number of GiB > 0 and <= {SimAddress.SpaceBytesMax / GiB:F0} (got {Format(t.HbmGiB)})");
        foreach (var (name, port) in new[] { ("hccs", t.Hccs), ("roce", t.Roce) })
        {
            if (port is null)
            {
                continue;
            }

            var at = $"$.topology.{name}";
            Check(port.Gbps is null || name == "roce", at + ".gbps", "HCCS has no published line rate: give bandwidthGBps (its port capacity in GB/s)");
            Check(port.Gbps is null || port.BandwidthGBps is null, at, "give gbps (line rate) or bandwidthGBps (capacity), not both");
            Check(port.Gbps is null || (double.IsFinite(port.Gbps.Value) && port.Gbps is > 0 and <= 100_000), at + ".gbps", $"must be a number of Gb/s > 0 and <= 100000 (got {Format(port.Gbps)})");
            Check(port.BandwidthGBps is null || (double.IsFinite(port.BandwidthGBps.Value) && port.BandwidthGBps is > 0 and <= 100_000), at + ".bandwidthGBps",
                $"must be a number of GB/s > 0 and <= 100000 (got {Format(port.BandwidthGBps)})");
            Check(port.LatencyUs is null || (double.IsFinite(port.LatencyUs.Value) && port.LatencyUs is >= 0 and <= 1_000_000), at + ".latencyUs",
                $"must be 0..1000000 µs (got {Format(port.LatencyUs)})");
        }

        if (!ok)
        {
            return (null, preset);
        }

        var whatIf = t.NpusPerServer is not null || t.ServersPerSuperNode is not null || t.HbmGiB is not null || t.Hccs is not null || t.Roce is not null;
        if (!whatIf)
        {
            // Exactly the preset the runner always built: its runs keep their trace hashes.
            return (preset == "a2" ? Topology.A2(servers, latencyModel) : Topology.A3(servers, latencyModel: latencyModel), preset);
        }

        var platform = preset == "a2" ? Platform.A2 : Platform.A3;
        var model = latencyModel ?? LatencyModel.Default;
        foreach (var (kind, port) in new[] { (LinkKind.Hccs, t.Hccs), (LinkKind.Roce, t.Roce) })
        {
            var factor = port switch
            {
                { Gbps: { } gbps } => gbps / PresetRoceGbps,
                { BandwidthGBps: { } gBps } => gBps * 1e9 / model.Port(platform, kind).BandwidthBytesPerSecond,
                _ => 1.0,
            };
            if (factor != 1.0)
            {
                model = model.WithBandwidthScale(platform, kind, factor);
            }
        }

        static LinkParameters WithLatency(LinkParameters port, PortOverride? over) =>
            over?.LatencyUs is { } us ? port with { LatencyNs = (long)Math.Round(us * SimTime.NsPerUs) } : port;
        var hccs = WithLatency(model.Port(platform, LinkKind.Hccs), t.Hccs);
        var roce = WithLatency(model.Port(platform, LinkKind.Roce), t.Roce);
        var npusPerServer = t.NpusPerServer ?? (preset == "a2" ? HardwareDefaults.A2NpusPerServer : HardwareDefaults.A3DiesPerServer);
        var hbm = t.HbmGiB is { } gib ? (long)Math.Round(gib * GiB) : HardwareDefaults.HbmBytes;
        var perSuperNode = t.ServersPerSuperNode ?? HardwareDefaults.A3ServersPerSuperNode;
        var superNodes = preset == "a3" ? perSuperNode : (int?)null;
        return (Topology.Uniform($"{preset.ToUpperInvariant()}x{servers} what-if", platform, servers, npusPerServer, hbm, hccs, roce, superNodes, model), preset);
    }

    /// <summary>A topology document (a file's text, or the inline one); problems under <paramref name="at"/>.</summary>
    private static Topology? Read(string json, LatencyModel? latencyModel, string at, string? path, Action<string, string> fail)
    {
        try
        {
            return Topology.FromJson(json, latencyModel);
        }
        catch (JsonException ex)
        {
            var inner = ex.Path is { Length: > 1 } p ? p[1..] : string.Empty;
            // A file's own position helps; the inline document's positions are those of the scenario.
            var where = path is null ? string.Empty : $"{path}:{(ex.LineNumber ?? 0) + 1}:{(ex.BytePositionInLine ?? 0) + 1}: ${inner}: ";
            fail(path is null ? at + inner : at, where + RuleOf(ex, inner));
        }
        catch (ArgumentException ex)
        {
            var rule = ex.ParamName switch
            {
                "server" => "an NPU's server must index the servers list (0-based)",
                "hbmBytes" or "hostMemoryBytes" => $"memory sizes must be 0..{SimAddress.SpaceBytesMax} bytes",
                "BandwidthBytesPerSecond" => "a port's bandwidthBytesPerSecond must be above 0",
                _ => ex.Message.Split('\n')[0],
            };
            fail(at, $"not a valid topology: {rule}");
        }

        return null;
    }

    // The topology document is read through constructors, whose conversion errors name the record, not the value's
    // type: say what the property holds instead.
    private static string RuleOf(JsonException ex, string path)
    {
        var rule = ScenarioLoader.Rule(ex);
        if (rule != "must be an object")
        {
            return rule;
        }

        var name = path[(path.LastIndexOf('.') + 1)..];
        return name switch
        {
            "name" or "model" => "must be a string",
            "platform" => "must be A2, A3 or null",
            "servers" or "npus" => "must be an array",
            "hccs" or "roce" or "pcie" => "must be a port object or null",
            "server" or "hccsDomain" or "hostMemoryBytes" or "hbmBytes" or "bandwidthBytesPerSecond" or "latencyNs" or "perBlockNs" or "jitterNsMean" => "must be a whole number",
            _ => rule,
        };
    }

    /// <summary>Where the instances go; null after a problem.</summary>
    public static ScenarioPlacement? Place(PlacementSection p, Topology topology, string kind, Action<string, string> fail)
    {
        var needed = p.Prompts + p.Decoders;
        if (needed > topology.Npus.Count)
        {
            var hint = kind == "custom"
                ? "list more NPUs in the topology"
                : $"raise topology.servers (--servers) to at least {(needed + topology.NpusOf(0).Count - 1) / topology.NpusOf(0).Count}";
            var label = kind == "custom" || topology.Name.EndsWith("what-if", StringComparison.Ordinal) ? topology.Name : $"{topology.Servers.Count}x{kind.ToUpperInvariant()}";
            fail("$.placement", $"{p.Prompts}P{p.Decoders}D needs {needed} NPUs but {label} has {topology.Npus.Count}: {hint}");
            return null;
        }

        var explicitNpus = p.PromptNpus is not null || p.DecoderNpus is not null;
        if (explicitNpus && p.Strategy is not null)
        {
            fail("$.placement.strategy", "give a strategy or explicit promptNpus and decoderNpus, not both");
            return null;
        }

        ScenarioPlacement placement;
        if (explicitNpus)
        {
            if (p.PromptNpus is null || p.DecoderNpus is null)
            {
                fail("$.placement", "promptNpus and decoderNpus go together: give both");
                return null;
            }

            var ok = CheckList(p.PromptNpus, p.Prompts, "promptNpus", "prompts", topology, fail) & CheckList(p.DecoderNpus, p.Decoders, "decoderNpus", "decoders", topology, fail);
            var owner = new Dictionary<int, string>();
            foreach (var (list, name, role) in new[] { (p.PromptNpus, "promptNpus", "prompt"), (p.DecoderNpus, "decoderNpus", "decoder") })
            {
                for (var i = 0; i < list.Count; i++)
                {
                    if (!owner.TryAdd(list[i], $"{role} {i}"))
                    {
                        fail($"$.placement.{name}[{i}]", $"npu{list[i]} is already given to {owner[list[i]]}: one instance per NPU");
                        ok = false;
                    }
                }
            }

            if (!ok)
            {
                return null;
            }

            placement = new ScenarioPlacement([.. p.PromptNpus], [.. p.DecoderNpus]);
        }
        else
        {
            switch (p.Strategy?.ToLowerInvariant())
            {
                case null or "packed":
                    placement = ScenarioPlacement.Packed(topology, p.Prompts, p.Decoders);
                    break;
                case "interleaved":
                    placement = ScenarioPlacement.Interleaved(topology, p.Prompts, p.Decoders);
                    break;
                default:
                    fail("$.placement.strategy", $"must be packed or interleaved (got '{p.Strategy}')");
                    return null;
            }
        }

        // A custom topology may leave NPUs without the port a pair needs: refuse before anything runs.
        var unreachable = (from prompt in placement.PromptNpus.Distinct()
                           from decoder in placement.DecoderNpus
                           where !topology.TryFindRoute(Endpoint.Npu(prompt), Endpoint.Npu(decoder), null, out _)
                              || !topology.TryFindRoute(Endpoint.Npu(decoder), Endpoint.Npu(prompt), null, out _)
                           select (prompt, decoder)).Take(3).ToList();
        foreach (var (prompt, decoder) in unreachable)
        {
            fail("$.placement", $"prompt npu{prompt} and decoder npu{decoder} have no route in {topology.Name}: both need a RoCE port, or HCCS ports in one HCCS domain");
        }

        return unreachable.Count == 0 ? placement : null;
    }

    private static bool CheckList(List<int> list, int count, string name, string countName, Topology topology, Action<string, string> fail)
    {
        var ok = true;
        if (list.Count != count)
        {
            fail($"$.placement.{name}", $"lists {list.Count} NPUs but placement.{countName} is {count}: one NPU per instance");
            ok = false;
        }

        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] < 0 || list[i] >= topology.Npus.Count)
            {
                fail($"$.placement.{name}[{i}]", $"npu{list[i]} is not in {topology.Name} (NPUs 0..{topology.Npus.Count - 1})");
                ok = false;
            }
        }

        return ok;
    }

    /// <summary>A short line: where prompts and decoders are, and how many pairs each link class carries.</summary>
    public static string Describe(ScenarioPlacement placement, Topology topology)
    {
        var pairs = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var prompt in placement.PromptNpus)
        {
            foreach (var decoder in placement.DecoderNpus)
            {
                var name = topology.FindRoute(prompt, decoder).LinkClass;
                pairs[name] = pairs.GetValueOrDefault(name) + 1;
            }
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"P on {Ranges(placement.PromptNpus)}, D on {Ranges(placement.DecoderNpus)}; pairs: {string.Join(", ", pairs.Select(p => $"{p.Value} {p.Key}"))}");
    }

    private static string Ranges(IReadOnlyList<int> npus)
    {
        var parts = new List<string>();
        for (var i = 0; i < npus.Count;)
        {
            var j = i;
            while (j + 1 < npus.Count && npus[j + 1] == npus[j] + 1)
            {
                j++;
            }

            parts.Add(j == i ? $"npu{npus[i]}" : $"npu{npus[i]}-{npus[j]}");
            i = j + 1;
        }

        return string.Join(",", parts);
    }

    private static string Format(double? value) => value?.ToString("G", CultureInfo.InvariantCulture) ?? "nothing";
}
