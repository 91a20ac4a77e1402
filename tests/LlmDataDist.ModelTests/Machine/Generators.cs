using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using LlmDataDist.ModelTests.Model;

namespace LlmDataDist.ModelTests.Machine;

/// <summary>
/// Commands drawn from the model's state: callers, peers and cache ids mostly ones that exist, rows, blocks, sizes and
/// layers near their boundaries, so that both the valid and the invalid side of every rule come up.
/// </summary>
public static class Generators
{
    private const ulong UnknownCluster = 99;

    public static Gen<Command> Command(ModelWorld m, OperationMix mix)
    {
        var choices = new List<(int, Gen<Command>)>();
        var anyOff = m.Clusters.Any(c => !c.Initialized);
        if (mix.Lifecycle)
        {
            choices.Add((anyOff ? 12 : 2, Initialize(m, mix)));
            choices.Add((1, Slot.Select(s => (Command)new FinalizeCmd(s))));
        }

        if (mix.SetRole)
        {
            choices.Add((2, SetRole(m)));
        }

        if (mix.Links)
        {
            choices.Add((8, Link(m)));
            choices.Add((3, Unlink(m, mix)));
        }

        if (mix.Caches)
        {
            choices.Add((10, Allocate(m)));
            choices.Add((2, Deallocate(m)));
            choices.Add((1, Register(m)));
            choices.Add((1, Unregister(m)));
        }

        if (mix.Pulls)
        {
            choices.Add((5, PullCache(m)));
            choices.Add((5, PullBlocks(m)));
        }

        if (mix.Pushes)
        {
            choices.Add((5, PushCache(m, mix)));
            choices.Add((5, PushBlocks(m, mix)));
        }

        if (mix.Copies && m.Clusters.Any(c => !c.Caches.IsEmpty || !c.Initialized))
        {
            choices.Add((3, CopyCache(m)));
            choices.Add((3, CopyBlocks(m)));
        }

        return Gen.Frequency(choices.ToArray());
    }

    /// <summary>Copies need the caller's two caches (the client passes their addresses), unless the caller is not initialized.</summary>
    public static bool Applicable(ModelWorld m, Command command) => command switch
    {
        CopyCacheCmd c => !m[c.Slot].Initialized || (m[c.Slot].Caches.ContainsKey(c.SrcId) && m[c.Slot].Caches.ContainsKey(c.DstId)),
        CopyBlocksCmd c => !m[c.Slot].Initialized || (m[c.Slot].Caches.ContainsKey(c.SrcId) && m[c.Slot].Caches.ContainsKey(c.DstId)),
        _ => true,
    };

    private static Gen<int> Slot => Gen.Choose(0, Model.Slot.Default.Length - 1);

    private static Gen<T> Pick<T>(params T[] items) => Gen.Elements(items);

    /// <summary>A caller, preferring clusters whose current role is the one the call needs.</summary>
    private static Gen<int> Caller(ModelWorld m, LlmRole preferred)
    {
        var matching = m.Clusters.Where(c => c.Role == preferred && c.Initialized).Select(c => c.Slot.Index).ToArray();
        var up = m.Clusters.Where(c => c.Initialized).Select(c => c.Slot.Index).ToArray();
        var choices = new List<(int, Gen<int>)> { (1, Slot) };
        if (matching.Length > 0)
        {
            choices.Add((10, Gen.Elements(matching)));
        }

        if (up.Length > 0)
        {
            choices.Add((2, Gen.Elements(up)));
        }

        return Gen.Frequency(choices.ToArray());
    }

    private static Gen<Command> Initialize(ModelWorld m, OperationMix mix)
    {
        var off = m.Clusters.Where(c => !c.Initialized).Select(c => c.Slot.Index).ToArray();
        var slot = off.Length == 0 ? Slot : Gen.Frequency((5, Gen.Elements(off)), (1, Slot));
        var variant = Gen.Frequency(
            (6, Gen.Constant(InitVariant.Plain)),
            (6, Gen.Constant(InitVariant.SwitchRole)),
            (1, Gen.Constant(InitVariant.SwitchRoleOff)),
            (2, Gen.Constant(InitVariant.SmallPool)),
            (1, Gen.Constant(InitVariant.AlternateListen)),
            (1, Gen.Constant(InitVariant.NoListen)),
            (3, Pick(InitVariant.BadDeviceId, InitVariant.NegativeDeviceId, InitVariant.MissingDeviceId, InitVariant.BadListen,
                InitVariant.BadSwitchRole, InitVariant.BadSyncWait, InitVariant.BadPool)));
        return from s in slot
               from v in variant
               select (Command)new InitializeCmd(s, v);
    }

    private static Gen<Command> SetRole(ModelWorld m) =>
        from s in Caller(m, LlmRole.Mix).Or(Slot)
        from role in Gen.Frequency((4, Pick(LlmRole.Prompt, LlmRole.Decoder, LlmRole.Mix)), (1, Gen.Constant((LlmRole)4)))
        from listen in Gen.Frequency((3, Gen.Constant(ListenChoice.Canonical)), (2, Gen.Constant(ListenChoice.None)), (1, Gen.Constant(ListenChoice.Alternate)), (1, Gen.Constant(ListenChoice.Malformed)))
        select (Command)new SetRoleCmd(s, role, listen);

    /// <summary>A peer to link to: a prompt's current endpoint, or one of its own endpoints, or a decoder's.</summary>
    private static Gen<LinkTarget> LinkTargetFor(ModelWorld m, string localIp) =>
        from peer in Gen.Frequency((4, Pick(0, 2)), (1, Pick(1, 3)))
        let p = m[peer]
        from endpoint in Gen.Frequency(
            (6, Gen.Constant(p.Listen ?? p.Slot.Canonical)),
            (1, Gen.Constant(p.Slot.Canonical)),
            (1, Gen.Constant(p.Slot.Alternate)),
            (1, Gen.Constant(p.Slot.Silent)))
        select new LinkTarget(p.Id, endpoint, localIp);

    private static Gen<LinkShape> Shape => Gen.Frequency(
        (20, Gen.Constant(LinkShape.Normal)),
        (1, Pick(LinkShape.TwoDevices, LinkShape.EmptyLocal, LinkShape.LocalDiffers, LinkShape.BadIp, LinkShape.Empty, LinkShape.ZeroTimeout)));

    private static Gen<Command> Link(ModelWorld m) =>
        from s in Caller(m, LlmRole.Decoder)
        from local in Gen.Frequency((6, Gen.Constant(m[s].Slot.Ip)), (1, Gen.Constant("10.9.9.9")))
        from count in Gen.Frequency((5, Gen.Constant(1)), (1, Gen.Constant(2)))
        from targets in Gen.ArrayOf(LinkTargetFor(m, local), count)
        from shape in Shape
        select (Command)new LinkCmd(s, [.. targets], shape);

    private static Gen<Command> Unlink(ModelWorld m, OperationMix mix) =>
        from s in Gen.Frequency((3, Caller(m, LlmRole.Decoder)), (2, Caller(m, LlmRole.Prompt)))
        from count in Gen.Frequency((5, Gen.Constant(1)), (1, Gen.Constant(2)))
        from targets in Gen.ArrayOf(UnlinkTarget(m, m[s]), count)
        from shape in Shape
        from force in Gen.Elements(false, true)
        select (Command)new UnlinkCmd(s, [.. targets], shape, force);

    private static Gen<LinkTarget> UnlinkTarget(ModelWorld m, ClusterModel me)
    {
        var known = me.Links.Select(l => (l.Key, l.Value)).ToArray();
        var named = known.Length == 0
            ? Gen.Elements(m.Clusters.Where(c => c.Id != me.Id).Select(c => (c.Id, (LinkModel?)null)).ToArray())
            : Gen.Frequency((5, Gen.Elements(known.Select(k => (k.Key, (LinkModel?)k.Value)).ToArray())), (1, Gen.Elements(m.Clusters.Where(c => c.Id != me.Id).Select(c => (c.Id, (LinkModel?)null)).ToArray())));
        return from pick in named
               from wrong in Gen.Frequency((8, Gen.Constant(false)), (1, Gen.Constant(true)))
               select UnlinkTargetOf(m, me, pick.Item1, pick.Item2, wrong);
    }

    private static LinkTarget UnlinkTargetOf(ModelWorld m, ClusterModel me, ulong id, LinkModel? link, bool wrongIp)
    {
        var peer = m.ById(id)!;
        if (me.Role == LlmRole.Prompt)
        {
            // Server side: the decoder is named by the IP it linked from.
            var ip = wrongIp ? "10.9.9.7" : link?.ClientIp ?? peer.Slot.Ip;
            return new LinkTarget(id, new Endpoint(ip, 0), me.Slot.Ip);
        }

        var server = link?.Server ?? peer.Slot.Canonical;
        return new LinkTarget(id, wrongIp ? new Endpoint("10.9.9.7", server.Port) : server, link?.ClientIp ?? me.Slot.Ip);
    }

    private static Gen<Command> Allocate(ModelWorld m) =>
        from s in Caller(m, LlmRole.Decoder).Or(Caller(m, LlmRole.Prompt))
        from d in Gen.Frequency((24, Pick(DescChoice.A, DescChoice.A, DescChoice.A, DescChoice.B, DescChoice.C, DescChoice.D)),
            (1, Pick(DescChoice.ZeroTensors, DescChoice.Host, DescChoice.EmptyShape, DescChoice.ZeroDim, DescChoice.StringType, DescChoice.Undefined)))
        select (Command)new AllocateCmd(s, d);

    private static Gen<long> CacheId(ClusterModel c)
    {
        var odd = Pick(0L, c.NextCacheId, 99L);
        return c.Caches.IsEmpty ? Gen.Frequency((1, odd), (3, Gen.Constant(1L))) : Gen.Frequency((12, Gen.Elements(c.Caches.Keys.ToArray())), (1, odd));
    }

    private static Gen<Command> Deallocate(ModelWorld m) =>
        from s in Caller(m, LlmRole.Decoder).Or(Caller(m, LlmRole.Prompt))
        from id in CacheId(m[s])
        select (Command)new DeallocateCmd(s, id);

    private static Gen<Command> Register(ModelWorld m) =>
        from s in Slot
        from addresses in Gen.Frequency((4, Gen.Constant(4)), (1, Pick(0, 3)))
        from zero in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
        select (Command)new RegisterCmd(s, addresses, zero);

    private static Gen<Command> Unregister(ModelWorld m) =>
        from s in Slot
        from id in CacheId(m[s])
        select (Command)new UnregisterCmd(s, id);

    private static long RowsOf(ClusterModel c, long id) => c.Caches.TryGetValue(id, out var cache) ? cache.Rows : 4;

    private static long StrideOf(ClusterModel c, long id) => c.Caches.TryGetValue(id, out var cache) ? cache.Stride : 16;

    /// <summary>A row or block index near the end of a cache of <paramref name="rows"/> rows.</summary>
    private static Gen<uint> Row(long rows) => Gen.Frequency((3, Gen.Constant(0u)), (2, Gen.Constant(1u)), (3, Gen.Constant((uint)rows - 1)), (1, Gen.Constant((uint)rows)));

    private static Gen<ImmutableArray<ulong>> Blocks(long rows, int count) => Gen.ArrayOf(Row(rows).Select(r => (ulong)r), count).Select(a => a.ToImmutableArray());

    /// <summary>(src, dst) block lists: equal lengths 1–3, rarely empty or unequal.</summary>
    private static Gen<(ImmutableArray<ulong> Src, ImmutableArray<ulong> Dst)> BlockPair(long srcRows, long dstRows) =>
        from count in Gen.Frequency((30, Gen.Choose(1, 3)), (1, Gen.Constant(0)))
        from extra in Gen.Frequency((30, Gen.Constant(0)), (1, Gen.Constant(1)))
        from src in Blocks(srcRows, count)
        from dst in Blocks(dstRows, count + extra)
        select (src, dst);

    /// <summary>Layer selection: mostly every layer; else ranges around the layer count, tensors per layer 1, 2 or 4.</summary>
    private static Gen<Ext> ExtParam(bool push)
    {
        var layer = Pick(-1, 0, 0, 1, 1, 2);
        var ranged = from n in Gen.Frequency((2, Gen.Constant((byte)2)), (1, Gen.Constant((byte)1)), (1, Gen.Constant((byte)4)), (1, Gen.Constant((byte)3)))
                     from sf in layer
                     from len in Gen.Frequency((8, Gen.Constant(0)), (4, Gen.Constant(1)), (1, Gen.Constant(-1)))
                     from df in layer
                     from dlen in push ? Gen.Constant(len) : Gen.Frequency((4, Gen.Constant(len)), (1, Gen.Constant(len + 1)))
                     select new Ext(sf, sf == -1 ? -1 : sf + len, df, df == -1 ? -1 : df + dlen, n);
        return Gen.Frequency((24, Gen.Constant(Ext.Default)), (2, Gen.Constant(Ext.Default with { N = 4 })), (1, Gen.Constant(Ext.Default with { N = 0 })), (8, ranged));
    }

    /// <summary>A peer to pull from or push to: mostly one the caller holds a link to.</summary>
    private static Gen<ulong> Peer(ModelWorld m, ClusterModel me)
    {
        var others = m.Clusters.Where(c => c.Id != me.Id).Select(c => c.Id).Append(UnknownCluster).ToArray();
        return me.Links.IsEmpty ? Gen.Elements(others) : Gen.Frequency((10, Gen.Elements(me.Links.Keys.ToArray())), (1, Gen.Elements(others)));
    }

    private static Gen<long> Size(long stride) => Gen.Frequency((6, Gen.Constant(-1L)), (1, Pick(1L, stride, stride + 1, 0L, -2L)));

    private static Gen<Command> PullCache(ModelWorld m) =>
        from s in Caller(m, LlmRole.Decoder)
        from remote in Peer(m, m[s])
        let peer = m.ById(remote) ?? m[s]
        from srcId in CacheId(peer)
        from dstId in CacheId(m[s])
        from srcRow in Row(RowsOf(peer, srcId))
        from dstRow in Row(RowsOf(m[s], dstId))
        from size in Size(StrideOf(m[s], dstId))
        from ext in ExtParam(push: false)
        select (Command)new PullCacheCmd(s, remote, srcId, srcRow, dstId, dstRow, size, ext);

    private static Gen<Command> PullBlocks(ModelWorld m) =>
        from s in Caller(m, LlmRole.Decoder)
        from remote in Peer(m, m[s])
        let peer = m.ById(remote) ?? m[s]
        from srcId in CacheId(peer)
        from dstId in CacheId(m[s])
        from blocks in BlockPair(RowsOf(peer, srcId), RowsOf(m[s], dstId))
        from batch in Gen.Frequency((40, Gen.Constant(0u)), (1, Gen.Constant(1u)))
        from ext in ExtParam(push: false)
        select (Command)new PullBlocksCmd(s, remote, srcId, batch, dstId, blocks.Src, blocks.Dst, ext);

    private static Gen<PushSource> PushSourceOf(ClusterModel me, OperationMix mix) =>
        from id in CacheId(me)
        from tensors in Gen.Frequency((30, Gen.Constant((uint?)null)), (1, Pick<uint?>(0, 2, 3)))
        from host in Gen.Frequency((40, Gen.Constant(false)), (1, Gen.Constant(true)))
        select new PushSource(id, tensors, host);

    private static Gen<Command> PushCache(ModelWorld m, OperationMix mix) =>
        from s in Caller(m, LlmRole.Prompt)
        from src in PushSourceOf(m[s], mix)
        from remote in Peer(m, m[s])
        let peer = m.ById(remote) ?? m[s]
        from dstId in CacheId(peer)
        from srcRow in Row(RowsOf(m[s], src.Id))
        from dstRow in Row(RowsOf(peer, dstId))
        from size in Gen.Frequency((40, Gen.Constant(-1L)), (1, Gen.Constant(16L)))
        from ext in ExtParam(push: true)
        select (Command)new PushCacheCmd(s, src, srcRow, remote, dstId, dstRow, size, ext);

    private static Gen<Command> PushBlocks(ModelWorld m, OperationMix mix) =>
        from s in Caller(m, LlmRole.Prompt)
        from src in PushSourceOf(m[s], mix)
        from remote in Peer(m, m[s])
        let peer = m.ById(remote) ?? m[s]
        from dstId in CacheId(peer)
        from blocks in BlockPair(RowsOf(m[s], src.Id), RowsOf(peer, dstId))
        from batch in Gen.Frequency((40, Gen.Constant(0u)), (1, Gen.Constant(1u)))
        from ext in ExtParam(push: true)
        select (Command)new PushBlocksCmd(s, src, blocks.Src, remote, dstId, batch, blocks.Dst, ext);

    /// <summary>A caller and two of its caches, or a caller that is not initialized (the call then fails before reading them).</summary>
    private static Gen<(int Slot, long Src, long Dst)> CopyPair(ModelWorld m)
    {
        var holders = m.Clusters.Where(c => !c.Caches.IsEmpty).ToArray();
        var offline = m.Clusters.Where(c => !c.Initialized).Select(c => (c.Slot.Index, 1L, 1L)).ToArray();
        var pairs = holders.Length == 0
            ? Gen.Elements(offline)
            : from c in Gen.Elements(holders)
              from src in Gen.Elements(c.Caches.Keys.ToArray())
              from dst in Gen.Elements(c.Caches.Keys.ToArray())
              select (c.Slot.Index, src, dst);
        return offline.Length == 0 || holders.Length == 0 ? pairs : Gen.Frequency((8, pairs), (1, Gen.Elements(offline)));
    }

    private static Gen<Command> CopyCache(ModelWorld m) =>
        from p in CopyPair(m)
        let me = m[p.Slot]
        from srcRow in Row(RowsOf(me, p.Src))
        from dstRow in Row(RowsOf(me, p.Dst))
        let stride = StrideOf(me, p.Src)
        from offset in Gen.Frequency((5, Gen.Constant(0UL)), (1, Pick(1UL, (ulong)stride - 1, (ulong)stride)))
        from size in Gen.Frequency((5, Gen.Constant(-1L)), (1, Pick(1L, stride - (long)offset, stride, 0L)))
        from odd in Gen.Frequency((20, Gen.Constant(0)), (1, Gen.Constant(1)), (1, Gen.Constant(2)))
        select (Command)new CopyCacheCmd(p.Slot, p.Src, p.Dst, srcRow, dstRow, offset, size, odd == 1, odd == 2);

    private static Gen<Command> CopyBlocks(ModelWorld m) =>
        from p in CopyPair(m)
        let me = m[p.Slot]
        from blocks in BlockPair(RowsOf(me, p.Src), RowsOf(me, p.Dst))
        from lists in Gen.Frequency((4, Gen.Constant(1)), (1, Gen.Constant(2)))
        from second in Blocks(RowsOf(me, p.Dst), blocks.Dst.Length)
        select (Command)new CopyBlocksCmd(p.Slot, p.Src, p.Dst, blocks.Src, lists == 1 ? [blocks.Dst] : [blocks.Dst, second]);
}
