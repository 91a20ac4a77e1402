using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace LlmDataDist.ModelTests.Model;

// The reference model's state. Everything is immutable: FsCheck keeps the model of every step of a run, and a
// counterexample prints them. Written from the behavioural reference (llm-datadist-v1.md), not from the simulator.

/// <summary>An IPv4 endpoint as the options and ClusterInfo spell it.</summary>
public readonly record struct Endpoint(string Ip, ushort Port)
{
    public override string ToString() => $"{Ip}:{Port.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// The fixed facts of one cluster of the modelled deployment: its id, the role it is constructed with, where it
/// runs, its device IP, and three endpoints of its own (one it listens on by default, a second it may move to, and
/// one nobody ever listens on), so that no two clusters ever contend for an endpoint.
/// </summary>
public sealed record Slot(int Index, ulong Id, LlmRole InitialRole, int Server, int DeviceId, string Ip)
{
    public Endpoint Canonical => new(Ip, (ushort)(26000 + Index));

    public Endpoint Alternate => new(Ip, (ushort)(27000 + Index));

    public Endpoint Silent => new(Ip, (ushort)(29000 + Index));

    public override string ToString() => $"c{Id}({InitialRole},s{Server}d{DeviceId},{Ip})";

    /// <summary>Two prompts and two decoders, one of each kind on each server of a 2-server A2 world.</summary>
    public static ImmutableArray<Slot> Default { get; } =
    [
        new(0, 11, LlmRole.Prompt, 0, 0, "10.0.0.1"),
        new(1, 12, LlmRole.Decoder, 1, 0, "10.0.1.1"),
        new(2, 13, LlmRole.Prompt, 1, 1, "10.0.1.2"),
        new(3, 14, LlmRole.Decoder, 0, 1, "10.0.0.2"),
    ];
}

/// <summary>
/// One side's record of a link. Both sides store the same pair: the IP the client gave as its local IP and the
/// server endpoint the client connected to (§6.1, §6.4: unlink matches these).
/// </summary>
public sealed record LinkModel(bool IsClient, string ClientIp, Endpoint Server, bool Faulted)
{
    public override string ToString() => $"{(IsClient ? "client" : "server")}{(Faulted ? ",faulted" : "")}";
}

/// <summary>A cache: its geometry (§4.2) and the bytes of every tensor.</summary>
public sealed record CacheModel(long Id, uint NumTensors, long Rows, long TensorBytes, ImmutableArray<ImmutableArray<byte>> Tensors)
{
    public long Stride => TensorBytes / Rows;

    /// <summary>Layers with N tensors per layer (§4.3).</summary>
    public long Layers(int n) => NumTensors / n;

    public CacheModel Write(int tensor, long offset, ReadOnlySpan<byte> bytes)
    {
        var copy = Tensors[tensor].ToArray();
        bytes.CopyTo(copy.AsSpan(checked((int)offset)));
        return this with { Tensors = Tensors.SetItem(tensor, [.. copy]) };
    }

    public ReadOnlySpan<byte> Read(int tensor, long offset, long length) => Tensors[tensor].AsSpan().Slice(checked((int)offset), checked((int)length));

    /// <summary>A short digest of the bytes, so a printed model shows when contents changed.</summary>
    public string Digest()
    {
        uint h = 2166136261;
        foreach (var t in Tensors)
        {
            foreach (var b in t)
            {
                h = (h ^ b) * 16777619;
            }
        }

        return h.ToString("x8", CultureInfo.InvariantCulture)[..4];
    }

    public override string ToString() => $"#{Id}:{NumTensors}x{TensorBytes}B/{Rows}r[{Digest()}]";
}

/// <summary>One cluster (LlmDataDist instance) as the reference describes it (§5).</summary>
public sealed record ClusterModel(
    Slot Slot,
    bool Initialized,
    LlmRole Role,
    Endpoint? Listen,
    bool SwitchRole,
    long? PoolBytes,
    long NextCacheId,
    ImmutableSortedDictionary<long, CacheModel> Caches,
    ImmutableSortedDictionary<ulong, LinkModel> Links)
{
    public static ClusterModel Constructed(Slot slot) =>
        new(slot, false, slot.InitialRole, null, false, null, 1, ImmutableSortedDictionary<long, CacheModel>.Empty, ImmutableSortedDictionary<ulong, LinkModel>.Empty);

    public ulong Id => Slot.Id;

    /// <summary>Device pool bytes in use: every tensor is rounded up to 512 bytes (§9.8).</summary>
    public long PoolUsed => Caches.Values.Sum(c => c.NumTensors * RoundUp(c.TensorBytes));

    public static long RoundUp(long bytes) => (bytes + 511) / 512 * 512;

    public override string ToString()
    {
        if (!Initialized)
        {
            return $"c{Id}:{Role},off";
        }

        var text = new StringBuilder($"c{Id}:{Role}");
        if (Listen is { } listen)
        {
            text.Append(" @").Append(listen.Port);
        }

        if (SwitchRole)
        {
            text.Append(" sw");
        }

        if (PoolBytes is { } pool)
        {
            text.Append(" pool=").Append(pool);
        }

        text.Append(" next=").Append(NextCacheId);
        if (!Links.IsEmpty)
        {
            text.Append(" links{").AppendJoin(',', Links.Select(l => $"{l.Key}:{l.Value}")).Append('}');
        }

        if (!Caches.IsEmpty)
        {
            text.Append(" caches{").AppendJoin(',', Caches.Values).Append('}');
        }

        return text.ToString();
    }
}

/// <summary>What a call returned: a status (with per-cluster results for link and unlink), or the client's rejection.</summary>
public sealed record Outcome(bool Rejected, LlmStatus Status, ImmutableArray<LlmStatus> Rets, long CacheId)
{
    public static Outcome Rejection { get; } = new(true, LlmStatus.Success, [], -1);

    public static Outcome Of(LlmStatus status) => new(false, status, [], -1);

    public static Outcome Of(LlmStatus status, ImmutableArray<LlmStatus> rets) => new(false, status, rets, -1);

    public static Outcome Allocated(long cacheId) => new(false, LlmStatus.Success, [], cacheId);

    public override string ToString()
    {
        if (Rejected)
        {
            return "rejected by the client";
        }

        var text = Status.ToString();
        if (!Rets.IsDefaultOrEmpty)
        {
            text += " [" + string.Join(",", Rets) + "]";
        }

        if (CacheId >= 0)
        {
            text += " id=" + CacheId.ToString(CultureInfo.InvariantCulture);
        }

        return text;
    }
}

/// <summary>The whole modelled deployment and the outcome the reference predicts for the last call.</summary>
public sealed record ModelWorld(ImmutableArray<ClusterModel> Clusters, Outcome Last)
{
    public static ModelWorld Initial(ImmutableArray<Slot> slots) => new([.. slots.Select(ClusterModel.Constructed)], Outcome.Of(LlmStatus.Success));

    public ClusterModel this[int slot] => Clusters[slot];

    public ClusterModel? ById(ulong id) => Clusters.FirstOrDefault(c => c.Id == id);

    public ModelWorld With(ClusterModel cluster) => this with { Clusters = Clusters.SetItem(cluster.Slot.Index, cluster) };

    public override string ToString() => $"expect {Last} | " + string.Join(" | ", Clusters);
}
