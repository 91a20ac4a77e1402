using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace LlmDataDist.Simulator.Cli.Scenarios;

/// <summary>
/// A scenario file: everything a run depends on, so a file (or the <c>scenario</c> object of a <c>summary.json</c>)
/// replays the run. Every property has a default; a file names only what it changes. Times are virtual.
/// </summary>
[Description("An llmdd-sim scenario: an xPyD prefill/decode deployment, its workload and its faults.")]
internal sealed class ScenarioFile
{
    [JsonPropertyName("$schema")]
    [Description("Editor hint: the JSON schema of this file.")]
    public string? Schema { get; set; }

    [Description("Shown in titles and reports.")]
    public string Name { get; set; } = "scenario";

    [Description("Seed of the world, the arrivals and every random decision.")]
    public ulong Seed { get; set; } = 42;

    public TopologySection Topology { get; set; } = new();

    public PlacementSection Placement { get; set; } = new();

    [Description("Engine profile reproduced: ce or hx.")]
    public string Profile { get; set; } = "ce";

    public ModelSection Model { get; set; } = new();

    public TransferSection Transfer { get; set; } = new();

    public ArrivalsSection Arrivals { get; set; } = new();

    public PrefillSection Prefill { get; set; } = new();

    public DecodeSection Decode { get; set; } = new();

    public FaultsSection Faults { get; set; } = new();

    /// <summary>Where each JSON path of a YAML file starts, for messages; null for JSON files (and never written).</summary>
    [JsonIgnore]
    public SourceMap? Locations { get; set; }
}

[Description("The deployment's servers, given one way: a preset (a2 or a3, with servers and optional what-if figures), a topology file, or a custom topology inline.")]
internal sealed class TopologySection
{
    [Description("a2 (Atlas 800I A2: 8 NPUs per server, HCCS inside, RoCE between) or a3 (super-node); default a2 when neither file nor custom is given.")]
    public string? Preset { get; set; }

    [Description("Preset: servers (1..64; default 2).")]
    public int? Servers { get; set; }

    [Description("Price transfers with a latency model fitted to this calibration CSV (platform,transport,path,direction,block_bytes,total_bytes,gbps), relative to this file; default: the published HIXL table. Also prices a file or custom topology that names a platform.")]
    public string? CalibrationCsv { get; set; }

    [Description("Preset what-if: NPUs (dies on a3) per server, 1..64 (a2: 8, a3: 16).")]
    public int? NpusPerServer { get; set; }

    [Description("Preset what-if (a3 only): servers per super-node, the HCCS domain (default 48).")]
    public int? ServersPerSuperNode { get; set; }

    [Description("Preset what-if: HBM per NPU in GiB (default 64; e.g. 32 for a 910B4). A KV pool must fit it.")]
    public double? HbmGiB { get; set; }

    [Description("Preset what-if: the HCCS port of every NPU.")]
    public PortOverride? Hccs { get; set; }

    [Description("Preset what-if: the RoCE port of every NPU.")]
    public PortOverride? Roce { get; set; }

    [Description("A topology JSON as the simulator writes it (Topology.ToJson: name, platform, servers, npus with their port timings), relative to this file.")]
    public string? File { get; set; }

    [Description("The same topology document inline: { name, platform (A2, A3 or null), servers: [{ model, hostMemoryBytes, hccsDomain }], npus: [{ server, hbmBytes, hccs, roce, pcie }] }, each port { bandwidthBytesPerSecond, latencyNs, perBlockNs, jitterNsMean } or null.")]
    public JsonObject? Custom { get; set; }
}

[Description("What-if figures of one port type on a preset. The bandwidth scales every calibrated path over that transport (its plateau B and the port capacity); the per-block (descriptor) cost and the curve's shape stay calibrated.")]
internal sealed class PortOverride
{
    [Description("Line rate in Gb/s (RoCE only; the presets have 200 Gb/s per NPU): the plateau keeps the preset's measured share of line rate, e.g. 400 doubles it.")]
    public double? Gbps { get; set; }

    [Description("Port capacity in GB/s (10^9 B/s), the quantity latency-model.md lists per port (A2 RoCE 23.82, A2 HCCS 27.08, A3 RoCE 24.47, A3 HCCS 165.76).")]
    public double? BandwidthGBps { get; set; }

    [Description("Fixed latency per hop in µs (a route crosses two hops; default HCCS 1, RoCE 2).")]
    public double? LatencyUs { get; set; }
}

[Description("xPyD: how many instances, and where they go (one NPU each).")]
internal sealed class PlacementSection
{
    [Description("Prompt (prefill) instances, one NPU each.")]
    public int Prompts { get; set; } = 1;

    [Description("Decoder instances, one NPU each.")]
    public int Decoders { get; set; } = 1;

    [Description("packed (default): prompts fill the first servers, decoders start on the next server (pairs cross RoCE on A2); interleaved: prompts and decoders alternate NPU by NPU, so every server holds both and pairs inside a server use HCCS.")]
    public string? Strategy { get; set; }

    [Description("Explicit NPUs (global ids, the N of npuN link names) of the prompts, one per prompt; with decoderNpus, instead of a strategy.")]
    public List<int>? PromptNpus { get; set; }

    [Description("Explicit NPUs of the decoders, one per decoder; with promptNpus.")]
    public List<int>? DecoderNpus { get; set; }
}

[Description("KV-cache layout: a preset, or custom numbers.")]
internal sealed class ModelSection
{
    [Description("dense-8b, deepseek-r1-mla, glm-5, tiny, or custom (then layers, bytesPerTokenPerTensor and blockTokens).")]
    public string Preset { get; set; } = "dense-8b";

    [Description("custom: transformer layers (a K and a V tensor each).")]
    public int? Layers { get; set; }

    [Description("custom: bytes one token adds to one tensor.")]
    public int? BytesPerTokenPerTensor { get; set; }

    [Description("custom: tokens per KV block.")]
    public int? BlockTokens { get; set; }
}

[Description("How KV moves from prompt to decoder.")]
internal sealed class TransferSection
{
    [Description("pull-blocks: the decoder pulls the request's blocks (PullKvBlocks); push-blocks: the prompt pushes them (PushKvBlocks); pull-cache / push-cache: the pool holds one cache row per request, as long as the longest prompt, moved with PullKvCache (the request's blocks) / PushKvCache (the whole row). Every mode runs on CE and HX.")]
    public string Mode { get; set; } = "pull-blocks";

    [Description("Layers moved by one transfer call (KvCacheExtParam layer ranges, one call per group in layer order, as a decoder that overlaps transfer with compute does); 0 moves every layer in one call.")]
    public int LayersPerCall { get; set; }

    [Description("Layer-wise only: overlap the transfer with prefill (default true). The decoder is chosen when prefill starts and each layer group moves as soon as prefill has computed it (uniform cost per layer), so only the last group is exposed after prefill; false moves every group after the whole prefill.")]
    public bool OverlapPrefill { get; set; } = true;

    [Description("Pulls retried after the documented recovery of a broken link (force unlink both sides, link again).")]
    public int Retries { get; set; } = 1;

    [Description("Move and verify real bytes (memory: every pool is allocated); default sizes only.")]
    public bool RealBytes { get; set; }

    [Description("KV pool of every instance, in blocks.")]
    public int PoolBlocks { get; set; } = 1024;

    [Description("Keep the decoder blocks of a timed-out pull out of the pool until the link that carried it is torn down (default true; false shows what late landings do to a naive scheduler).")]
    public bool Quarantine { get; set; } = true;

    [Description("Virtual ms from a pull's timeout to the start of the documented recovery of its link (a health-check period or a backoff); 0 recovers at once.")]
    public double RecoveryDelayMs { get; set; }
}

[Description("When requests arrive: a Poisson rate, or a trace CSV.")]
internal sealed class ArrivalsSection
{
    [Description("Mean requests per second (Poisson).")]
    public double Rate { get; set; } = 20;

    [Description("Arrival window in virtual ms; in-flight requests then finish.")]
    public double DurationMs { get; set; } = 1000;

    [Description("Stop after this many requests (default: the window decides).")]
    public long? MaxRequests { get; set; }

    [Description("CSV of arrival_ms,prompt_tokens,output_tokens (header optional), relative to this file; replaces rate and the token means.")]
    public string? TraceCsv { get; set; }
}

[Description("Prefill cost on a prompt instance (one request at a time, in arrival order).")]
internal sealed class PrefillSection
{
    [Description("Mean prompt tokens; each request draws uniformly within ±50 %.")]
    public int TokensMean { get; set; } = 2048;

    [Description("Prefill compute per prompt token, in µs.")]
    public double UsPerToken { get; set; } = 20;
}

[Description("Decode cost: the decoder holds the request's KV blocks this long.")]
internal sealed class DecodeSection
{
    [Description("Output tokens per request.")]
    public int TokensMean { get; set; } = 128;

    [Description("Time per output token (TPOT), in ms.")]
    public double MsPerToken { get; set; } = 20;
}

[Description("Faults: a random chaos plan and/or scripted faults, at virtual ms from the start of the run.")]
internal sealed class FaultsSection
{
    [Description("Draw a random fault plan from this seed (swarm testing).")]
    public ulong? ChaosSeed { get; set; }

    [Description("Percent of transfers lost (they time out).")]
    public double TransferDropPercent { get; set; }

    public List<LinkFlapSpec> LinkFlaps { get; set; } = [];

    public List<LinkDownSpec> LinkDowns { get; set; } = [];

    [Description("Pessimistic hardware possibility, not a reference rule: a timed-out pull keeps landing (per block, at drawn later times) until its link is torn down.")]
    public bool LateLanding { get; set; }
}

[Description("Links flap: down for the first half of every period, from fromMs until untilMs.")]
internal sealed class LinkFlapSpec
{
    [Description("Link name (npu0.roce.tx) or prefix pattern (npu0.*, *).")]
    public string Link { get; set; } = string.Empty;

    public double FromMs { get; set; }

    public double UntilMs { get; set; }

    public double PeriodMs { get; set; } = 10;
}

[Description("A link is down from atMs for durationMs.")]
internal sealed class LinkDownSpec
{
    [Description("Link name (npu0.roce.tx) or prefix pattern (npu0.*, *).")]
    public string Link { get; set; } = string.Empty;

    public double AtMs { get; set; }

    public double DurationMs { get; set; } = 10;
}
