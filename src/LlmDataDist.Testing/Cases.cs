using System.Globalization;

namespace LlmDataDist.Testing;

/// <summary>What makes a generated <see cref="CacheDesc"/> invalid for CE <c>AllocateCache</c> (reference §9.8, §3, §4.2):
/// the first rule it breaks, in the engine's checking order.</summary>
public enum CacheDescDefect
{
    /// <summary><c>num_tensors == 0</c>.</summary>
    ZeroTensors,

    /// <summary>Placement is not device.</summary>
    HostPlacement,

    /// <summary>The shape is empty.</summary>
    EmptyShape,

    /// <summary>The shape has rank 32 or more.</summary>
    RankTooLarge,

    /// <summary>A dimension is zero or negative.</summary>
    NonPositiveDimension,

    /// <summary>The data type is not in CE's device sizing table.</summary>
    NotDeviceAllocatable,
}

/// <summary>A <see cref="CacheDesc"/> that breaks exactly the rule <paramref name="Defect"/> names first.</summary>
/// <param name="Desc">The descriptor.</param>
/// <param name="Defect">The first rule it breaks.</param>
public sealed record InvalidCacheDesc(CacheDesc Desc, CacheDescDefect Defect)
{
    /// <summary>Readable in counterexamples.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{Defect}: {LlmArbitraries.Describe(Desc)}";
}

/// <summary>Block j of <paramref name="Source"/> goes to block j of <paramref name="Destination"/>: the two lists of a
/// <c>PullKvBlocks</c> / <c>PushKvBlocks</c> call.</summary>
/// <param name="Source">Source block indices.</param>
/// <param name="Destination">Destination block indices.</param>
public sealed record BlockPairs(IReadOnlyList<ulong> Source, IReadOnlyList<ulong> Destination)
{
    /// <summary>The pairs as (from, to) rows, for byte expectations; only meaningful when both lists have equal length.</summary>
    public IReadOnlyList<(long From, long To)> Rows => [.. Source.Zip(Destination, (s, d) => ((long)s, (long)d))];

    /// <summary>Readable in counterexamples.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"[{string.Join(",", Source)}] -> [{string.Join(",", Destination)}]";
}

/// <summary>What makes a generated block-list pair invalid. The first two are argument rules the typed client enforces
/// (an <see cref="ArgumentException"/>, nothing reaches the backend); the last two depend on the caches and come back from
/// the backend as <c>LLM_PARAM_INVALID</c> (reference §9.12 steps 5, 8 and 12).</summary>
public enum BlockListDefect
{
    /// <summary>Both lists are empty.</summary>
    Empty,

    /// <summary>The lists have different lengths (one may be empty).</summary>
    UnequalLength,

    /// <summary>A source block is at or past the source cache's rows.</summary>
    SourceOutOfRange,

    /// <summary>A destination block is at or past the destination cache's rows.</summary>
    DestinationOutOfRange,
}

/// <summary>A block-list pair that breaks <paramref name="Defect"/>.</summary>
/// <param name="Blocks">The lists.</param>
/// <param name="Defect">The broken rule.</param>
public sealed record InvalidBlockPairs(BlockPairs Blocks, BlockListDefect Defect)
{
    /// <summary>Whether the typed client itself rejects it (before any backend call).</summary>
    public bool RejectedByClient => Defect is BlockListDefect.Empty or BlockListDefect.UnequalLength;

    /// <summary>Readable in counterexamples.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{Defect}: {Blocks}";
}

/// <summary>What makes a generated layer selection invalid (reference §9.10). All but
/// <see cref="BeyondLayers"/> are argument rules the typed client enforces.</summary>
public enum LayerRangeDefect
{
    /// <summary>A range has first &gt; last.</summary>
    FirstAfterLast,

    /// <summary>A range has an end below −1.</summary>
    BelowMinusOne,

    /// <summary><c>tensor_num_per_layer</c> is 0.</summary>
    ZeroTensorsPerLayer,

    /// <summary>A push with source and destination ranges of different lengths.</summary>
    UnequalPushLengths,

    /// <summary>Well-formed, but a range ends past the cache's last layer (<c>num_tensors / N − 1</c>): the backend's
    /// <c>LLM_PARAM_INVALID</c>.</summary>
    BeyondLayers,
}

/// <summary>A layer selection that breaks <paramref name="Defect"/>.</summary>
/// <param name="ExtParam">The selection.</param>
/// <param name="Defect">The broken rule.</param>
/// <param name="Push">Whether it is meant for a push (the equal-length rule applies).</param>
public sealed record InvalidLayerSelection(KvCacheExtParam ExtParam, LayerRangeDefect Defect, bool Push)
{
    /// <summary>Whether the typed client itself rejects it (before any backend call).</summary>
    public bool RejectedByClient => Defect != LayerRangeDefect.BeyondLayers;

    /// <summary>Readable in counterexamples.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{Defect}{(Push ? " (push)" : "")}: {LlmArbitraries.Describe(ExtParam)}";
}

/// <summary>Server hardware of a <see cref="ClusterLayout"/>.</summary>
public enum ServerKind
{
    /// <summary>Atlas 800I A2: HCCS inside a server, RoCE between servers.</summary>
    A2,

    /// <summary>Atlas 800I A3: HCCS across the servers of a super-node (both servers here share one).</summary>
    A3,
}

/// <summary>One LLM-DataDist instance of a <see cref="ClusterLayout"/>.</summary>
/// <param name="ClusterId">Its cluster id.</param>
/// <param name="Role">Prompt or Decoder.</param>
/// <param name="Server">The server it runs on.</param>
/// <param name="DeviceId">Its <c>llm.DeviceId</c> on that server.</param>
public sealed record ClusterPlacement(ulong ClusterId, LlmRole Role, int Server, int DeviceId);

/// <summary>
/// A small xPyD deployment: <paramref name="Prompts"/> prompt clusters (ids 1..P) and <paramref name="Decoders"/>
/// decoder clusters (ids P+1..P+D), one NPU each. Prompts sit on server 0; decoders on server 1, or on server 0 too
/// when <paramref name="SharedServer"/>. <see cref="BuildTopology"/> makes servers with only the NPUs used, so a
/// <see cref="Simulator.FaultPlan.Chaos"/> plan over every NPU hits the deployment.
/// </summary>
/// <param name="Hardware">A2 or A3.</param>
/// <param name="Prompts">Prompt clusters, 1..8.</param>
/// <param name="Decoders">Decoder clusters, 1..8.</param>
/// <param name="SharedServer">All on one server (transfers over HCCS) instead of two.</param>
public sealed record ClusterLayout(ServerKind Hardware, int Prompts, int Decoders, bool SharedServer = false)
{
    /// <summary>One prompt and one decoder on two A2 servers.</summary>
    public static ClusterLayout OnePromptOneDecoder { get; } = new(ServerKind.A2, 1, 1);

    /// <summary>Every instance, prompts first.</summary>
    public IReadOnlyList<ClusterPlacement> Clusters
    {
        get
        {
            Validate();
            var list = new List<ClusterPlacement>();
            for (var p = 0; p < Prompts; p++)
            {
                list.Add(new ClusterPlacement((ulong)(p + 1), LlmRole.Prompt, 0, p));
            }

            for (var d = 0; d < Decoders; d++)
            {
                list.Add(new ClusterPlacement((ulong)(Prompts + d + 1), LlmRole.Decoder, SharedServer ? 0 : 1, SharedServer ? Prompts + d : d));
            }

            return list;
        }
    }

    /// <summary>The prompt instances.</summary>
    public IReadOnlyList<ClusterPlacement> PromptClusters => [.. Clusters.Where(c => c.Role == LlmRole.Prompt)];

    /// <summary>The decoder instances.</summary>
    public IReadOnlyList<ClusterPlacement> DecoderClusters => [.. Clusters.Where(c => c.Role == LlmRole.Decoder)];

    /// <summary>Every cluster id, for fault plans that crash clusters.</summary>
    public IReadOnlyList<ulong> ClusterIds => [.. Clusters.Select(c => c.ClusterId)];

    /// <summary>Servers used.</summary>
    public int ServerCount => SharedServer ? 1 : 2;

    /// <summary>A topology with exactly the NPUs this layout uses (default HBM, link timings of the hardware).</summary>
    /// <returns>The topology.</returns>
    public Simulator.Topology BuildTopology()
    {
        Validate();
        // The platform prices engine transfers by their calibrated path, as the presets do.
        var builder = new Simulator.TopologyBuilder(ToString()) { Platform = Hardware == ServerKind.A2 ? Simulator.Platform.A2 : Simulator.Platform.A3 };
        var (hccs, roce) = Hardware == ServerKind.A2
            ? (Simulator.HardwareDefaults.A2Hccs, Simulator.HardwareDefaults.A2Roce)
            : (Simulator.HardwareDefaults.A3Hccs, Simulator.HardwareDefaults.A3Roce);
        var model = Hardware == ServerKind.A2 ? "Atlas 800I A2" : "Atlas 800I A3";
        for (var s = 0; s < ServerCount; s++)
        {
            builder.AddServer(model, Simulator.HardwareDefaults.HostMemoryBytes, Hardware == ServerKind.A3 ? 0 : null);
        }

        foreach (var server in Enumerable.Range(0, ServerCount))
        {
            foreach (var _ in Clusters.Where(c => c.Server == server))
            {
                builder.AddNpu(server, Simulator.HardwareDefaults.HbmBytes, hccs, roce, Simulator.HardwareDefaults.Pcie4);
            }
        }

        return builder.Build();
    }

    /// <summary>Short name, e.g. <c>2P1D-A2</c> or <c>1P1D-A3-shared</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Prompts}P{Decoders}D-{Hardware}{(SharedServer ? "-shared" : "")}");

    private void Validate()
    {
        var perServer = Hardware == ServerKind.A2 ? Simulator.HardwareDefaults.A2NpusPerServer : Simulator.HardwareDefaults.A3DiesPerServer;
        if (Prompts < 1 || Decoders < 1 || (SharedServer ? Prompts + Decoders : Math.Max(Prompts, Decoders)) > perServer)
        {
            throw new InvalidOperationException($"{this}: at least one prompt and one decoder, at most {perServer} NPUs per server");
        }
    }
}
