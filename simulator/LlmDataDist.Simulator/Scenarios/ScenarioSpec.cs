using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Scenarios;

/// <summary>
/// An xPyD disaggregated-serving workload: prompts (prefill) on the first server(s), decoders on the next, requests
/// arriving as a seeded Poisson process; each request is prefilled on a prompt, its KV blocks pulled by a decoder
/// with PullKvBlocks, then decoded while the decoder holds the blocks.
/// </summary>
/// <param name="Seed">Seed of the world and of the request stream.</param>
/// <param name="TopologyKind">"a2" or "a3".</param>
/// <param name="Servers">Servers in the topology.</param>
/// <param name="Prompts">Prompt instances (P).</param>
/// <param name="Decoders">Decoder instances (D).</param>
/// <param name="Profile">Engine profile reproduced.</param>
/// <param name="Model">KV layout.</param>
/// <param name="RequestsPerSecond">Mean arrival rate.</param>
/// <param name="PromptTokensMean">Mean prompt length; each request draws uniformly within ±50 %.</param>
/// <param name="OutputTokensMean">Mean output length; decoding holds the blocks that long.</param>
/// <param name="PrefillNsPerToken">Prefill compute per prompt token on one instance.</param>
/// <param name="DecodeNsPerToken">Time per output token (TPOT).</param>
/// <param name="DurationNs">Arrivals stop after this much virtual time; in-flight requests then finish.</param>
/// <param name="BlocksPerInstance">KV pool of every instance, in blocks.</param>
/// <param name="MetadataOnly">Keep sizes, not bytes (scale runs); with bytes, every pull is verified.</param>
/// <param name="ChaosSeed">When set, faults are drawn by FaultPlan.Chaos from this seed.</param>
/// <param name="Faults">Scripted faults (times from the start of the run), added to any chaos plan.</param>
/// <param name="PullRetries">Pulls retried after the documented recovery of a broken link (§6.5) before a request is lost.</param>
/// <param name="MaxRequests">Arrivals stop after this many requests, or at the end of the window, whichever comes first.</param>
/// <param name="LatencyModel">Path timings of the topology (e.g. fitted from your own calibration CSV); null for the published one.</param>
/// <param name="ArrivalTrace">When set, requests arrive as listed (arrival, prompt and output tokens) instead of as a Poisson process.</param>
/// <param name="LateLanding">Opt-in pessimistic fault: a timed-out pull keeps landing until its link is torn down
/// (<see cref="LateLandingFault"/>; drawn by the chaos plan, or <see cref="LateLandingFault.Pessimistic"/> otherwise).</param>
/// <param name="Quarantine">Keep the destination blocks of a timed-out pull out of the pool until the link that carried
/// it is torn down (on by default); off, they go back at the timeout, as a naive scheduler does.</param>
/// <param name="RecoveryDelayNs">Time from a pull's timeout to the start of the documented recovery of its link (a
/// health-check period or a backoff); 0 recovers at once.</param>
public sealed record ScenarioSpec(
    ulong Seed = 42,
    string TopologyKind = "a2",
    int Servers = 2,
    int Prompts = 1,
    int Decoders = 1,
    EngineProfile Profile = EngineProfile.CE,
    KvModel? Model = null,
    double RequestsPerSecond = 20,
    int PromptTokensMean = 2048,
    int OutputTokensMean = 128,
    long PrefillNsPerToken = 20_000,
    long DecodeNsPerToken = 20_000_000,
    long DurationNs = SimTime.NsPerSecond,
    int BlocksPerInstance = 1024,
    bool MetadataOnly = true,
    ulong? ChaosSeed = null,
    FaultPlan? Faults = null,
    int PullRetries = 0,
    long MaxRequests = long.MaxValue,
    IReadOnlyList<ArrivalRow>? ArrivalTrace = null,
    LatencyModel? LatencyModel = null,
    bool LateLanding = false,
    bool Quarantine = true,
    long RecoveryDelayNs = 0)
{
    /// <summary>The built-in default: 1P1D on two Atlas 800I A2 servers, CE, a dense 8B model, one virtual second.</summary>
    public static ScenarioSpec Default { get; } = new();

    /// <summary>The model, defaulting to <see cref="KvModel.Dense8B"/>.</summary>
    public KvModel KvModel => Model ?? KvModel.Dense8B;

    /// <summary>How KV moves from prompt to decoder (default: the decoder pulls blocks).</summary>
    public TransferMode Transfer { get; init; } = TransferMode.PullBlocks;

    /// <summary>Layers moved by one transfer call (KvCacheExtParam layer ranges, one call per group in layer order, as a
    /// decoder that overlaps transfer with compute does); 0 moves every layer in one call.</summary>
    public int LayersPerCall { get; init; }

    /// <summary>A topology built by the caller (a custom one, or a preset with what-if port figures); null builds
    /// <see cref="TopologyKind"/> × <see cref="Servers"/> with <see cref="LatencyModel"/>, which then only label it.</summary>
    public Topology? Topology { get; init; }

    /// <summary>Where the instances go; null for <see cref="ScenarioPlacement.Packed"/> (prompts on the first
    /// server(s), decoders from the next server on).</summary>
    public ScenarioPlacement? Placement { get; init; }
    /// <summary>Layer-wise only (on by default): overlap the transfer with prefill, as serving systems do. The decoder and
    /// its blocks are chosen when prefill starts, prefill computes the layers in order at a uniform cost per layer, and
    /// the call of each layer group starts once its layers are computed and the previous call has returned (a pull after
    /// the prompt's "layers ready" message crosses the route); only the last group's transfer is exposed after prefill.
    /// Off, every group moves after the whole prefill.</summary>
    public bool OverlapPrefill { get; init; } = true;

    /// <summary>Whether transfers overlap prefill: layer-wise with <see cref="OverlapPrefill"/>.</summary>
    public bool Overlaps => LayersPerCall > 0 && OverlapPrefill;

    /// <summary>Whether the pool is laid out as one cache row per request (whole-cache modes).</summary>
    public bool WholeCache => Transfer is TransferMode.PullCache or TransferMode.PushCache;

    /// <summary>Blocks of one cache row in the whole-cache modes: room for the longest prompt the arrivals can bring.</summary>
    public int RowBlocks => KvModel.BlocksFor(ArrivalTrace is { Count: > 0 } trace ? trace.Max(r => r.PromptTokens) : (PromptTokensMean * 3 / 2) + 1);

    /// <summary>Readable one-line form, for reports and replay.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        $"{Prompts}P{Decoders}D on {Topology?.Name ?? $"{Servers}x{TopologyKind.ToUpperInvariant()}"} {Profile} model={KvModel.Name} rate={RequestsPerSecond}/s prompt~{PromptTokensMean} out~{OutputTokensMean} " +
        $"duration={SimTime.Format(DurationNs)} seed={Seed}{(ChaosSeed is { } c ? $" chaos={c}" : string.Empty)}{(Faults is { Script.Count: > 0 } f ? $" faults={f.Script.Count}" : string.Empty)}{(MetadataOnly ? " metadata-only" : " bytes")}{(LateLanding ? " late-landing" : string.Empty)}{(Quarantine ? string.Empty : " no-quarantine")}" +
        $"{(Transfer == TransferMode.PullBlocks ? string.Empty : $" {Transfer}")}{(LayersPerCall > 0 ? $" layers/call={LayersPerCall}{(OverlapPrefill ? string.Empty : " no-overlap")}" : string.Empty)}";
}
