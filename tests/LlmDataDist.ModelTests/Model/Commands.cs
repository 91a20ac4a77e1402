using System.Collections.Immutable;

namespace LlmDataDist.ModelTests.Model;

// The calls of the model-based test as plain data: the model interprets them (Reference), the machine turns them
// into typed-client calls (SimulatorDriver). ToString is what a counterexample prints.

public abstract record Command(int Slot)
{
    protected static string Blocks(ImmutableArray<ulong> blocks) => "{" + string.Join(",", blocks) + "}";
}

/// <summary>Options of an Initialize call: valid variants, and invalid ones each breaking exactly one rule of §7.</summary>
public enum InitVariant
{
    Plain,
    SwitchRole,
    SwitchRoleOff,
    SmallPool,
    AlternateListen,
    NoListen,
    BadDeviceId,
    NegativeDeviceId,
    MissingDeviceId,
    BadListen,
    BadSwitchRole,
    BadSyncWait,
    BadPool,
}

public sealed record InitializeCmd(int Slot, InitVariant Variant) : Command(Slot)
{
    public override string ToString() => $"Initialize(s{Slot}, {Variant})";
}

public sealed record FinalizeCmd(int Slot) : Command(Slot)
{
    public override string ToString() => $"Finalize(s{Slot})";
}

public enum ListenChoice
{
    None,
    Canonical,
    Alternate,
    Malformed,
}

public sealed record SetRoleCmd(int Slot, LlmRole Role, ListenChoice Listen) : Command(Slot)
{
    public override string ToString() => $"SetRole(s{Slot}, {Role}, listen={Listen})";
}

/// <summary>One ClusterInfo: the peer's id, its endpoint (remote IP and port), and the local IP given.</summary>
public sealed record LinkTarget(ulong Id, Endpoint Remote, string LocalIp)
{
    public override string ToString() => $"{Id}->{Remote} from {LocalIp}";
}

/// <summary>How the cluster list of a link or unlink call is shaped; all but Normal break one rule.</summary>
public enum LinkShape
{
    Normal,
    TwoDevices,
    EmptyLocal,
    LocalDiffers,
    BadIp,
    Empty,
    ZeroTimeout,
}

public sealed record LinkCmd(int Slot, ImmutableArray<LinkTarget> Targets, LinkShape Shape) : Command(Slot)
{
    public override string ToString() => $"Link(s{Slot}, [{string.Join("; ", Targets)}]{(Shape == LinkShape.Normal ? "" : ", " + Shape)})";
}

public sealed record UnlinkCmd(int Slot, ImmutableArray<LinkTarget> Targets, LinkShape Shape, bool Force) : Command(Slot)
{
    public override string ToString() => $"Unlink(s{Slot}, [{string.Join("; ", Targets)}]{(Shape == LinkShape.Normal ? "" : ", " + Shape)}{(Force ? ", force" : "")})";
}

/// <summary>Cache descriptions: four valid small geometries (A, B and D share a 16-byte row), and invalid ones.</summary>
public enum DescChoice
{
    A,
    B,
    C,
    D,
    ZeroTensors,
    Host,
    EmptyShape,
    ZeroDim,
    StringType,
    Undefined,
}

public sealed record AllocateCmd(int Slot, DescChoice Desc) : Command(Slot)
{
    public override string ToString() => $"Allocate(s{Slot}, {Desc})";
}

public sealed record DeallocateCmd(int Slot, long Id) : Command(Slot)
{
    public override string ToString() => $"Deallocate(s{Slot}, #{Id})";
}

/// <summary>RegisterKvCache of a 4-tensor cache with <paramref name="Addresses"/> addresses (one of them 0 when
/// <paramref name="WithZero"/>): an HX method, FEATURE_NOT_ENABLED on CE once the client's argument rules pass.</summary>
public sealed record RegisterCmd(int Slot, int Addresses, bool WithZero) : Command(Slot)
{
    public override string ToString() => $"Register(s{Slot}, {Addresses} addrs{(WithZero ? ", one 0" : string.Empty)})";
}

public sealed record UnregisterCmd(int Slot, long Id) : Command(Slot)
{
    public override string ToString() => $"Unregister(s{Slot}, #{Id})";
}

/// <summary>KvCacheExtParam: inclusive layer ranges and tensors per layer.</summary>
public sealed record Ext(int SrcFirst, int SrcLast, int DstFirst, int DstLast, byte N)
{
    public static Ext Default { get; } = new(-1, -1, -1, -1, 2);

    public bool WellFormed => SrcFirst >= -1 && SrcLast >= -1 && SrcFirst <= SrcLast && DstFirst >= -1 && DstLast >= -1 && DstFirst <= DstLast && N > 0;

    public bool EqualLengths => SrcLast - SrcFirst == DstLast - DstFirst;

    public override string ToString() => this == Default ? "all" : $"({SrcFirst},{SrcLast})->({DstFirst},{DstLast})/N{N}";
}

public sealed record PullCacheCmd(int Slot, ulong Remote, long SrcId, uint SrcRow, long DstId, uint DstRow, long Size, Ext Ext) : Command(Slot)
{
    public override string ToString() => $"PullKvCache(s{Slot}, from {Remote}#{SrcId} row {SrcRow} -> #{DstId} row {DstRow}, size {Size}, {Ext})";
}

public sealed record PullBlocksCmd(int Slot, ulong Remote, long SrcId, uint SrcBatch, long DstId, ImmutableArray<ulong> SrcBlocks, ImmutableArray<ulong> DstBlocks, Ext Ext) : Command(Slot)
{
    public override string ToString() => $"PullKvBlocks(s{Slot}, from {Remote}#{SrcId}{(SrcBatch == 0 ? "" : $" batch {SrcBatch}")} {Blocks(SrcBlocks)} -> #{DstId} {Blocks(DstBlocks)}, {Ext})";
}

/// <summary>The source Cache argument of a push: the local id, and what its descriptor says (§1.2: placement and num_tensors are read).</summary>
public sealed record PushSource(long Id, uint? DescTensors, bool Host)
{
    public override string ToString() => $"#{Id}{(DescTensors is { } n ? $"(desc {n} tensors)" : "")}{(Host ? "(host)" : "")}";
}

public sealed record PushCacheCmd(int Slot, PushSource Src, uint SrcRow, ulong Remote, long DstId, uint DstRow, long Size, Ext Ext) : Command(Slot)
{
    public override string ToString() => $"PushKvCache(s{Slot}, {Src} row {SrcRow} -> {Remote}#{DstId} row {DstRow}{(Size == -1 ? "" : $", size {Size}")}, {Ext})";
}

public sealed record PushBlocksCmd(int Slot, PushSource Src, ImmutableArray<ulong> SrcBlocks, ulong Remote, long DstId, uint DstBatch, ImmutableArray<ulong> DstBlocks, Ext Ext) : Command(Slot)
{
    public override string ToString() => $"PushKvBlocks(s{Slot}, {Src} {Blocks(SrcBlocks)} -> {Remote}#{DstId}{(DstBatch == 0 ? "" : $" batch {DstBatch}")} {Blocks(DstBlocks)}, {Ext})";
}

public sealed record CopyCacheCmd(int Slot, long SrcId, long DstId, uint SrcRow, uint DstRow, ulong Offset, long Size, bool SrcAsHost, bool BadDstDesc) : Command(Slot)
{
    public override string ToString() =>
        $"CopyKvCache(s{Slot}, #{SrcId}{(SrcAsHost ? "(host)" : "")} row {SrcRow} -> #{DstId}{(BadDstDesc ? "(bad desc)" : "")} row {DstRow}, offset {Offset}, size {Size})";
}

public sealed record CopyBlocksCmd(int Slot, long SrcId, long DstId, ImmutableArray<ulong> SrcBlocks, ImmutableArray<ImmutableArray<ulong>> DstLists) : Command(Slot)
{
    public override string ToString() => $"CopyKvBlocks(s{Slot}, #{SrcId} {Blocks(SrcBlocks)} -> #{DstId} [{string.Join(" ", DstLists.Select(Blocks))}])";
}
