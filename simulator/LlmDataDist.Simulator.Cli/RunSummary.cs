using System.Globalization;
using LlmDataDist.Simulator.Cli.Scenarios;
using LlmDataDist.Simulator.Scenarios;

namespace LlmDataDist.Simulator.Cli;

/// <summary>Every figure of a run, machine-readable: written as summary.json, read back by replay and compare.
/// Units are in the names (GB = 10^9 bytes, ms, s, percent).</summary>
internal sealed class RunSummary
{
    public string Tool { get; set; } = string.Empty;

    /// <summary>The resolved scenario: replay runs exactly this.</summary>
    public ScenarioFile Scenario { get; set; } = new();

    public string Title { get; set; } = string.Empty;

    /// <summary>Where prompts and decoders run, and how many prompt/decoder pairs each link class carries.</summary>
    public string? Placement { get; set; }

    public string TraceHash { get; set; } = string.Empty;

    public long TraceEvents { get; set; }

    public long Requests { get; set; }

    public long Delivered { get; set; }

    public SortedDictionary<string, long> Outcomes { get; set; } = [];

    public double KvMovedGB { get; set; }

    public double ThroughputRequestsPerS { get; set; }

    public double ThroughputGBps { get; set; }

    public Percentiles PullMs { get; set; } = new();

    public Percentiles ReadyMs { get; set; } = new();

    /// <summary>Exposed transfer: KV on the decoder minus prefill end (the transfer's share of time to first token).</summary>
    public Percentiles ExposedMs { get; set; } = new();

    /// <summary>Arrival to the end of the decoder's first step: KV ready plus one decode step.</summary>
    public Percentiles FirstDecodeStepMs { get; set; } = new();

    public List<LinkClassSummary> LinkClasses { get; set; } = [];

    public double PromptPoolPeakPercent { get; set; }

    public double DecoderPoolPeakPercent { get; set; }

    public int PeakPullsInFlight { get; set; }

    public string FaultPlan { get; set; } = string.Empty;

    public int FaultsScripted { get; set; }

    public long LinkDownEvents { get; set; }

    public long RetriedPulls { get; set; }

    public long Relinks { get; set; }

    public long BlocksQuarantined { get; set; }

    /// <summary>Most decoder blocks quarantined at once, as a share of every decoder pool.</summary>
    public double QuarantinePeakPercent { get; set; }

    /// <summary>Decoder pool capacity quarantine took over the run: block-time quarantined over (pool blocks × virtual time).</summary>
    public double QuarantineCapacityPercent { get; set; }

    public long? Verified { get; set; }

    public long? Corrupted { get; set; }

    public double VirtualS { get; set; }

    public double WallS { get; set; }

    public double PeakWorkingSetMB { get; set; }

    /// <summary>Pull latency CDF: [ms, fraction at or below].</summary>
    public List<double[]> PullCdf { get; set; } = [];

    /// <summary>Arrival-to-KV-ready CDF: [ms, fraction at or below].</summary>
    public List<double[]> ReadyCdf { get; set; } = [];

    /// <summary>Exposed-transfer CDF: [ms, fraction at or below].</summary>
    public List<double[]> ExposedCdf { get; set; } = [];

    public sealed class Percentiles
    {
        public double P50 { get; set; }

        public double P90 { get; set; }

        public double P99 { get; set; }

        public double Max { get; set; }

        public double Mean { get; set; }

        public static Percentiles Of(LatencyHistogram h) => new()
        {
            P50 = h.Percentile(50) / 1e6,
            P90 = h.Percentile(90) / 1e6,
            P99 = h.Percentile(99) / 1e6,
            Max = h.Max / 1e6,
            Mean = h.Mean / 1e6,
        };
    }

    public sealed class LinkClassSummary
    {
        public string Class { get; set; } = string.Empty;

        public long Pulls { get; set; }

        public double GB { get; set; }

        /// <summary>Bytes over the summed duration of the pulls: what one pull saw.</summary>
        public double AchievedGBpsPerPull { get; set; }

        /// <summary>Bytes over (prompt ports of this class × port bandwidth × active span).</summary>
        public double UtilisationPercent { get; set; }
    }

    /// <summary>A short line of the run's parameters, for titles.</summary>
    public static string TitleOf(ScenarioFile f) => string.Create(CultureInfo.InvariantCulture,
        $"{f.Name} | {f.Placement.Prompts}P{f.Placement.Decoders}D {TopologyLabel(f.Topology)} {f.Profile.ToUpperInvariant()} {f.Model.Preset} {(f.Arrivals.TraceCsv is null ? $"{f.Arrivals.Rate:G4}/s" : "trace")} seed {f.Seed}");

    private static string TopologyLabel(TopologySection t) => t switch
    {
        { File: { } file } => Path.GetFileNameWithoutExtension(file),
        { Custom: { } custom } => custom["name"]?.ToString() ?? "custom",
        _ => $"{t.Servers ?? 2}x{(t.Preset ?? "a2").ToUpperInvariant()}"
            + (t.NpusPerServer is null && t.ServersPerSuperNode is null && t.HbmGiB is null && t.Hccs is null && t.Roce is null ? string.Empty : " what-if"),
    };

    public static RunSummary Build(ScenarioFile file, ScenarioSpec spec, ScenarioResult result, RunStats stats, TimeSpan wall, double peakMb)
    {
        var spanNs = Math.Max(1, stats.LastPullEndNs - Math.Min(stats.FirstArrivalNs, stats.LastPullEndNs));
        var spanS = spanNs / 1e9;
        var topology = spec.Topology ?? (spec.TopologyKind == "a3" ? Topology.A3(spec.Servers, latencyModel: spec.LatencyModel) : Topology.A2(spec.Servers, spec.LatencyModel));
        var summary = new RunSummary
        {
            Tool = $"llmdd-sim {Cli.Version}",
            Scenario = file,
            Title = TitleOf(file),
            Placement = TopologyResolver.Describe(spec.Placement ?? ScenarioPlacement.Packed(topology, spec.Prompts, spec.Decoders), topology),
            TraceHash = result.TraceHash,
            TraceEvents = result.TraceEvents,
            Requests = stats.Requests,
            Delivered = stats.Delivered,
            Outcomes = new SortedDictionary<string, long>(stats.Outcomes.ToDictionary(), StringComparer.Ordinal),
            KvMovedGB = stats.BytesMoved / 1e9,
            ThroughputRequestsPerS = stats.Delivered / spanS,
            ThroughputGBps = stats.BytesMoved / 1e9 / spanS,
            PullMs = Percentiles.Of(stats.Pull),
            ReadyMs = Percentiles.Of(stats.Ready),
            ExposedMs = Percentiles.Of(stats.Exposed),
            FirstDecodeStepMs = Percentiles.Of(stats.FirstDecodeStep),
            PromptPoolPeakPercent = 100.0 * stats.PeakPromptBlocks / ((long)spec.Prompts * spec.BlocksPerInstance),
            DecoderPoolPeakPercent = 100.0 * stats.PeakDecoderBlocks / ((long)spec.Decoders * spec.BlocksPerInstance),
            PeakPullsInFlight = stats.PeakPullsInFlight,
            FaultPlan = result.Faults,
            FaultsScripted = spec.Faults?.Script.Count ?? 0,
            LinkDownEvents = stats.LinkDownEvents,
            RetriedPulls = result.Retries,
            Relinks = result.Relinks,
            BlocksQuarantined = result.BlocksQuarantined,
            QuarantinePeakPercent = 100.0 * result.QuarantinePeakBlocks / ((long)spec.Decoders * spec.BlocksPerInstance),
            QuarantineCapacityPercent = 100.0 * result.QuarantineBlockNs / ((double)spec.Decoders * spec.BlocksPerInstance * Math.Max(1, result.VirtualNs)),
            Verified = spec.MetadataOnly ? null : stats.Verified,
            Corrupted = spec.MetadataOnly ? null : stats.Corrupted,
            VirtualS = result.VirtualNs / 1e9,
            WallS = wall.TotalSeconds,
            PeakWorkingSetMB = peakMb,
            PullCdf = [.. stats.Pull.Cdf().Select(p => new[] { p.Value / 1e6, p.Fraction })],
            ReadyCdf = [.. stats.Ready.Cdf().Select(p => new[] { p.Value / 1e6, p.Fraction })],
            ExposedCdf = [.. stats.Exposed.Cdf().Select(p => new[] { p.Value / 1e6, p.Fraction })],
        };
        foreach (var (name, link) in stats.LinkClasses)
        {
            var port = topology.Links.FirstOrDefault(l => l.Kind.ToString().Equals(name, StringComparison.OrdinalIgnoreCase));
            var capacity = port is null ? double.NaN : (double)port.BandwidthBytesPerSecond * spec.Prompts * spanS;
            summary.LinkClasses.Add(new LinkClassSummary
            {
                Class = name,
                Pulls = link.Pulls,
                GB = link.Bytes / 1e9,
                AchievedGBpsPerPull = link.PullNsSum == 0 ? 0 : link.Bytes / (double)link.PullNsSum,
                UtilisationPercent = 100.0 * link.Bytes / capacity,
            });
        }

        return summary;
    }

    /// <summary>The rows of the summary table, shared by the console and report.html.</summary>
    public IEnumerable<(string Name, string Value)> Rows()
    {
        static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
        yield return ("scenario", Title);
        if (Placement is not null)
        {
            yield return ("placement", Placement);
        }
        yield return ("requests", Requests.ToString(CultureInfo.InvariantCulture));
        yield return ("KV delivered", $"{Delivered} ({(Requests == 0 ? "-" : F(100.0 * Delivered / Requests, "F1") + " %")})");
        foreach (var (outcome, count) in Outcomes.Where(o => o.Key != "ok"))
        {
            yield return ($"  {outcome}", count.ToString(CultureInfo.InvariantCulture));
        }

        yield return ("KV moved", $"{F(KvMovedGB, "F2")} GB");
        yield return ("throughput", $"{F(ThroughputRequestsPerS, "F1")} req/s, {F(ThroughputGBps, "F2")} GB/s");
        yield return ("pull p50 / p90 / p99 / max", $"{F(PullMs.P50, "F3")} / {F(PullMs.P90, "F3")} / {F(PullMs.P99, "F3")} / {F(PullMs.Max, "F3")} ms");
        yield return ("arrival→KV ready p50 / p90 / p99", $"{F(ReadyMs.P50, "F3")} / {F(ReadyMs.P90, "F3")} / {F(ReadyMs.P99, "F3")} ms");
        yield return ("exposed transfer p50 / p90 / p99 / mean", $"{F(ExposedMs.P50, "F3")} / {F(ExposedMs.P90, "F3")} / {F(ExposedMs.P99, "F3")} / {F(ExposedMs.Mean, "F3")} ms");
        yield return ("arrival→first decode step p50 / p90 / p99", $"{F(FirstDecodeStepMs.P50, "F3")} / {F(FirstDecodeStepMs.P90, "F3")} / {F(FirstDecodeStepMs.P99, "F3")} ms");
        foreach (var link in LinkClasses)
        {
            yield return ($"{link.Class}: pulls, GB, GB/s per pull, utilisation", $"{link.Pulls}, {F(link.GB, "F2")} GB, {F(link.AchievedGBpsPerPull, "F2")} GB/s, {F(link.UtilisationPercent, "F1")} %");
        }

        yield return ("pulls in flight (peak)", PeakPullsInFlight.ToString(CultureInfo.InvariantCulture));
        yield return ("KV pool peak: prompts / decoders", $"{F(PromptPoolPeakPercent, "F1")} % / {F(DecoderPoolPeakPercent, "F1")} %");
        yield return ("faults: scripted, link-down events", $"{FaultsScripted}, {LinkDownEvents}");
        yield return ("retried pulls / links rebuilt", $"{RetriedPulls} / {Relinks}");
        yield return ("blocks quarantined (peak, capacity cost)", $"{BlocksQuarantined} ({F(QuarantinePeakPercent, "F2")} % of decoder pools at peak, {F(QuarantineCapacityPercent, "F3")} % of decoder capacity)");
        if (Verified is { } verified)
        {
            yield return ("bytes verified / corrupted", $"{verified} / {Corrupted}");
        }

        yield return ("virtual time", $"{F(VirtualS, "F3")} s");
        yield return ("wall time, peak memory", $"{F(WallS, "F2")} s ({F(VirtualS / Math.Max(WallS, 1e-9), "F1")}x real time), {F(PeakWorkingSetMB, "F0")} MB");
        yield return ("fault plan", FaultPlan);
        yield return ("trace", $"{TraceEvents} events, hash {TraceHash}");
    }
}
