using System.Collections.Immutable;

namespace LlmDataDist.ModelTests.Model;

/// <summary>
/// The reference model of the CE profile (the default engine): for every call in every state, the status the
/// reference (llm-datadist-v1.md) gives and the state and bytes afterwards. Section numbers point into the reference.
/// Each rule list follows the reference's validation order; when several rules fail, the first wins (§12.2).
/// The typed client's own argument rules come first: what it rejects never reaches the engine (docs/client.md).
/// </summary>
public static class Reference
{
    /// <summary>The bytes the test writes into a freshly allocated cache: different per cluster, id, tensor and byte.</summary>
    public static byte FillByte(ulong clusterId, long cacheId, int tensor, int index) =>
        unchecked((byte)((index * 31) + (tensor * 7) + ((int)cacheId * 53) + ((int)clusterId * 101) + 1));

    public static ModelWorld Apply(ModelWorld m, Command command) => command switch
    {
        InitializeCmd c => Initialize(m, c),
        FinalizeCmd c => Finalize(m, c),
        SetRoleCmd c => SetRole(m, c),
        LinkCmd c => Link(m, c),
        UnlinkCmd c => Unlink(m, c),
        AllocateCmd c => Allocate(m, c),
        DeallocateCmd c => Deallocate(m, c),
        // §0.1, §9.17: CE lacks registration whatever the state; the client's address rules still come first.
        RegisterCmd c => c.Addresses != 4 || c.WithZero ? Rejected(m) : Done(m, LlmStatus.FeatureNotEnabled),
        UnregisterCmd => Done(m, LlmStatus.FeatureNotEnabled),
        PullCacheCmd c => PullCache(m, c),
        PullBlocksCmd c => PullBlocks(m, c),
        PushCacheCmd c => c.Size != -1 ? Rejected(m) : Push(m, c.Slot, c.Src, c.Remote, c.DstId, c.Ext, c.SrcRow, c.DstRow, null, null),
        PushBlocksCmd c => PushBlocks(m, c),
        CopyCacheCmd c => CopyCache(m, c),
        CopyBlocksCmd c => CopyBlocks(m, c),
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "unknown command"),
    };

    private static ModelWorld Done(ModelWorld m, LlmStatus status) => m with { Last = Outcome.Of(status) };

    private static ModelWorld Rejected(ModelWorld m) => m with { Last = Outcome.Rejection };

    // ---- lifecycle (§5, §7, §9.3, §9.4, §9.5) ------------------------------------------------------------------

    private static ModelWorld Initialize(ModelWorld m, InitializeCmd c)
    {
        var me = m[c.Slot];
        // Client: llm.DeviceId is required, and a typed DeviceId must not be negative.
        if (c.Variant is InitVariant.MissingDeviceId or InitVariant.NegativeDeviceId)
        {
            return Rejected(m);
        }

        if (me.Initialized)
        {
            return Done(m, LlmStatus.Success); // §5.1: options ignored, nothing changes
        }

        // §9.3 order: role (always valid here), llm.DeviceId, (CE) listen for a Prompt, llm.BufPoolCfg,
        // then engine start-up: llm.EnableSwitchRole, llm.SyncKvCacheWaitTime.
        if (c.Variant == InitVariant.BadDeviceId)
        {
            return Done(m, LlmStatus.ParamInvalid);
        }

        var listen = c.Variant switch
        {
            InitVariant.NoListen => (Endpoint?)null,
            InitVariant.AlternateListen => me.Slot.Alternate,
            _ => me.Slot.Canonical,
        };
        if (me.Role == LlmRole.Prompt && (listen is null || c.Variant == InitVariant.BadListen))
        {
            return Done(m, LlmStatus.ParamInvalid); // CE: a Prompt needs a well-formed llm.ListenIpInfo; others ignore it
        }

        if (c.Variant is InitVariant.BadPool or InitVariant.BadSwitchRole or InitVariant.BadSyncWait)
        {
            return Done(m, LlmStatus.ParamInvalid);
        }

        var next = me with
        {
            Initialized = true,
            Listen = me.Role == LlmRole.Prompt ? listen : null,
            SwitchRole = c.Variant == InitVariant.SwitchRole,
            PoolBytes = c.Variant == InitVariant.SmallPool ? SmallPoolBytes : null,
            NextCacheId = 1,
            Caches = ImmutableSortedDictionary<long, CacheModel>.Empty,
            Links = ImmutableSortedDictionary<ulong, LinkModel>.Empty,
        };
        return Done(m.With(next), LlmStatus.Success);
    }

    /// <summary>llm.BufPoolCfg buf_pool_size of the SmallPool variant: room for one 4-tensor cache (§9.8 pool rule).</summary>
    public const long SmallPoolBytes = 2048;

    private static ModelWorld Finalize(ModelWorld m, FinalizeCmd c)
    {
        var me = m[c.Slot];
        if (!me.Initialized)
        {
            return Done(m, LlmStatus.Success); // no-op
        }

        // §5.1: drops every local link (peers are not told: half-open), forgets every cache, stops the listener.
        var next = me with
        {
            Initialized = false,
            Listen = null,
            Caches = ImmutableSortedDictionary<long, CacheModel>.Empty,
            Links = ImmutableSortedDictionary<ulong, LinkModel>.Empty,
        };
        return Done(m.With(next), LlmStatus.Success);
    }

    private static ModelWorld SetRole(ModelWorld m, SetRoleCmd c)
    {
        var me = m[c.Slot];
        if (c.Role is not (LlmRole.Prompt or LlmRole.Decoder or LlmRole.Mix))
        {
            return Rejected(m); // client: role must be Prompt, Decoder or Mix
        }

        // §9.5 CE order.
        if (!me.Initialized)
        {
            return Done(m, LlmStatus.Failed);
        }

        if (c.Listen == ListenChoice.Malformed)
        {
            return Done(m, LlmStatus.ParamInvalid);
        }

        if (!me.SwitchRole)
        {
            return Done(m, LlmStatus.FeatureNotEnabled);
        }

        if (c.Role == LlmRole.Prompt && c.Listen == ListenChoice.None)
        {
            return Done(m, LlmStatus.ParamInvalid);
        }

        if (me.Role is LlmRole.Prompt or LlmRole.Decoder && !me.Links.IsEmpty)
        {
            return Done(m, LlmStatus.ExistLink);
        }

        var listen = c.Role != LlmRole.Prompt ? (Endpoint?)null : c.Listen == ListenChoice.Alternate ? me.Slot.Alternate : me.Slot.Canonical;
        return Done(m.With(me with { Role = c.Role, Listen = listen }), LlmStatus.Success);
    }

    // ---- links (§6.3, §6.4) ----------------------------------------------------------------------------------

    /// <summary>Client rules shared by link and unlink: a non-empty list, IPv4 everywhere, a positive timeout.</summary>
    private static bool ClientRejectsClusters(LinkShape shape) => shape is LinkShape.Empty or LinkShape.BadIp or LinkShape.ZeroTimeout;

    /// <summary>CE structural checks (§6.3 step 6): one entry per device (one device here) on both sides, equal local lists.</summary>
    private static bool StructureInvalid(LinkShape shape, ImmutableArray<LinkTarget> targets) =>
        shape is LinkShape.TwoDevices or LinkShape.EmptyLocal
        || (shape == LinkShape.LocalDiffers && targets.Length >= 2)
        || targets.Select(t => t.LocalIp).Distinct().Count() > 1;

    private static ModelWorld Link(ModelWorld m, LinkCmd c)
    {
        if (ClientRejectsClusters(c.Shape))
        {
            return Rejected(m);
        }

        var me = m[c.Slot];
        if (!me.Initialized)
        {
            return Done(m, LlmStatus.Failed);
        }

        if (me.Role != LlmRole.Decoder || StructureInvalid(c.Shape, c.Targets))
        {
            return Done(m, LlmStatus.ParamInvalid); // step 4 (client is the Decoder), step 6 (structure)
        }

        var pre = me;
        var rets = ImmutableArray.CreateBuilder<LlmStatus>();
        for (var i = 0; i < c.Targets.Length; i++)
        {
            var t = c.Targets[i];
            if (pre.Links.ContainsKey(t.Id))
            {
                rets.Add(LlmStatus.AlreadyLink);
                continue;
            }

            if (c.Targets.Take(i).Any(e => e.Id == t.Id))
            {
                rets.Add(LlmStatus.RepeatRequest);
                continue;
            }

            var server = m.Clusters.FirstOrDefault(s => s.Initialized && s.Role == LlmRole.Prompt && s.Listen == t.Remote);
            if (server is null || server.Id != t.Id)
            {
                rets.Add(LlmStatus.LinkFailed); // nobody listens there: the connection is refused
                continue;
            }

            // Both sides hold a fresh record keyed by the other's id (§6.1); a stale server record is replaced.
            var record = new LinkModel(true, t.LocalIp, t.Remote, false);
            me = me with { Links = me.Links.SetItem(t.Id, record) };
            m = m.With(me).With(m[server.Slot.Index] with { Links = m[server.Slot.Index].Links.SetItem(me.Id, record with { IsClient = false }) });
            rets.Add(LlmStatus.Success);
        }

        // §6.3 step 9: LINK_FAILED if some cluster failed to link, else SUCCESS whatever the other per-cluster results.
        var overall = rets.Contains(LlmStatus.LinkFailed) ? LlmStatus.LinkFailed : LlmStatus.Success;
        return m with { Last = Outcome.Of(overall, rets.ToImmutable()) };
    }

    private static ModelWorld Unlink(ModelWorld m, UnlinkCmd c)
    {
        if (ClientRejectsClusters(c.Shape))
        {
            return Rejected(m);
        }

        var me = m[c.Slot];
        if (!me.Initialized)
        {
            return Done(m, LlmStatus.Failed);
        }

        if (StructureInvalid(c.Shape, c.Targets))
        {
            return Done(m, LlmStatus.ParamInvalid);
        }

        var pre = me;
        var rets = ImmutableArray.CreateBuilder<LlmStatus>();
        for (var i = 0; i < c.Targets.Length; i++)
        {
            var t = c.Targets[i];
            var duplicate = c.Targets.Take(i).Any(e => e.Id == t.Id);
            if (pre.Role == LlmRole.Prompt)
            {
                // Server unlink (§6.4): the peer is named by its id and remote_ip_infos[0].ip; force is ignored.
                if (!pre.Links.TryGetValue(t.Id, out var rec) || rec.ClientIp != t.Remote.Ip)
                {
                    rets.Add(LlmStatus.NotYetLink);
                }
                else if (duplicate)
                {
                    rets.Add(LlmStatus.RepeatRequest);
                }
                else
                {
                    me = me with { Links = me.Links.Remove(t.Id) };
                    m = m.With(me);
                    rets.Add(LlmStatus.Success);
                }

                continue;
            }

            // Client unlink (§6.4).
            if (!pre.Links.TryGetValue(t.Id, out var link))
            {
                rets.Add(LlmStatus.NotYetLink);
            }
            else if (link.ClientIp != t.LocalIp || link.Server.Ip != t.Remote.Ip)
            {
                rets.Add(LlmStatus.ParamInvalid);
            }
            else if (duplicate)
            {
                rets.Add(LlmStatus.RepeatRequest);
            }
            else
            {
                me = me with { Links = me.Links.Remove(t.Id) };
                m = m.With(me);
                if (c.Force)
                {
                    rets.Add(LlmStatus.Success); // local removal only
                    continue;
                }

                // Non-force: the peer is told through its listener; it drops its record. If it cannot be reached,
                // the local record is still gone and the peer keeps its own. The reference does not say what a peer
                // without a matching record (re-initialized, or it unlinked its side) answers; like the simulator,
                // the model counts that as a failed notification.
                var peer = m.Clusters.FirstOrDefault(s => s.Initialized && s.Role == LlmRole.Prompt && s.Listen == link.Server && s.Id == t.Id);
                if (peer is null || !peer.Links.ContainsKey(me.Id))
                {
                    rets.Add(LlmStatus.NotifyPromptUnlinkFailed);
                    continue;
                }

                m = m.With(peer with { Links = peer.Links.Remove(me.Id) });
                rets.Add(LlmStatus.Success);
            }
        }

        var overall = rets.All(r => r is LlmStatus.Success or LlmStatus.NotYetLink) ? LlmStatus.Success : LlmStatus.UnlinkFailed;
        return m with { Last = Outcome.Of(overall, rets.ToImmutable()) };
    }

    /// <summary>
    /// A record is usable when the peer is initialized and holds the opposite record for us. Otherwise it is half-open
    /// (§6.2): transfers over it time out, and the record stays faulted until it is removed (recommended sim).
    /// </summary>
    private static bool Usable(ModelWorld m, ClusterModel me, ulong peerId, LinkModel link)
    {
        if (link.Faulted)
        {
            return false;
        }

        var peer = m.ById(peerId);
        return peer is { Initialized: true } && peer.Links.TryGetValue(me.Id, out var back) && back.IsClient != link.IsClient;
    }

    private static ModelWorld TimedOut(ModelWorld m, ClusterModel me, ulong peerId, LinkModel link) =>
        Done(m.With(me with { Links = me.Links.SetItem(peerId, link with { Faulted = true }) }), LlmStatus.WaitProcTimeout);

    // ---- caches (§9.8, §9.9) ---------------------------------------------------------------------------------

    private static ModelWorld Allocate(ModelWorld m, AllocateCmd c)
    {
        var me = m[c.Slot];
        var desc = Descs.Of(c.Desc);
        if (!me.Initialized)
        {
            return Done(m, LlmStatus.Failed);
        }

        if (desc.NumTensors == 0 || desc.Placement != CachePlacement.Device)
        {
            return Done(m, LlmStatus.ParamInvalid); // steps 2–3: no id consumed
        }

        var id = me.NextCacheId;
        me = me with { NextCacheId = id + 1 }; // step 4: the id is consumed from here on
        if (Descs.TensorBytes(desc) is not { } bytes)
        {
            return Done(m.With(me), LlmStatus.ParamInvalid);
        }

        if (me.PoolBytes is { } pool && me.PoolUsed + (desc.NumTensors * ClusterModel.RoundUp(bytes)) > pool)
        {
            return Done(m.With(me), LlmStatus.DeviceOutOfMemory);
        }

        // The content is unspecified (§4.5); the test writes a known pattern into every new cache.
        var tensors = Enumerable.Range(0, (int)desc.NumTensors)
            .Select(t => Enumerable.Range(0, (int)bytes).Select(i => FillByte(me.Id, id, t, i)).ToImmutableArray())
            .ToImmutableArray();
        var cache = new CacheModel(id, desc.NumTensors, desc.Shape[0], bytes, tensors);
        return m.With(me with { Caches = me.Caches.Add(id, cache) }) with { Last = Outcome.Allocated(id) };
    }

    private static ModelWorld Deallocate(ModelWorld m, DeallocateCmd c)
    {
        var me = m[c.Slot];
        if (!me.Initialized)
        {
            return Done(m, LlmStatus.Failed);
        }

        if (!me.Caches.ContainsKey(c.Id))
        {
            return Done(m, LlmStatus.KvCacheNotExist); // §9.9, §11 #1: the code, not the header comment
        }

        return Done(m.With(me with { Caches = me.Caches.Remove(c.Id) }), LlmStatus.Success);
    }

    // ---- pull (§9.10–§9.12) ----------------------------------------------------------------------------------

    /// <summary>Pull tensor selection (§9.10): ranges only when both firsts are ≥ 0, else every tensor pairwise.</summary>
    private static (int[] Src, int[] Dst) PullSelection(Ext e, CacheModel? s, CacheModel d)
    {
        if (e.SrcFirst >= 0 && e.DstFirst >= 0)
        {
            return (Range(e.SrcFirst * e.N, (e.SrcLast + 1) * e.N), Range(e.DstFirst * e.N, (e.DstLast + 1) * e.N));
        }

        return (Range(0, (int)(s?.NumTensors ?? 0)), Range(0, (int)d.NumTensors));
    }

    private static int[] Range(int from, int to) => Enumerable.Range(from, Math.Max(0, to - from)).ToArray();

    private static ModelWorld PullCache(ModelWorld m, PullCacheCmd c)
    {
        if ((c.Size != -1 && c.Size <= 0) || !c.Ext.WellFormed)
        {
            return Rejected(m);
        }

        var me = m[c.Slot];
        if (!me.Initialized)
        {
            return Done(m, LlmStatus.Failed);
        }

        if (me.Role != LlmRole.Decoder)
        {
            return Done(m, LlmStatus.ParamInvalid);
        }

        if (!me.Caches.TryGetValue(c.DstId, out var d))
        {
            return Done(m, LlmStatus.KvCacheNotExist);
        }

        if (c.DstRow >= d.Rows)
        {
            return Done(m, LlmStatus.ParamInvalid);
        }

        var n = c.Size > 0 ? c.Size : d.Stride;
        var (_, dstSel) = PullSelection(c.Ext, null, d);
        if (dstSel.Any(i => i >= d.NumTensors) || n > d.Stride)
        {
            return Done(m, LlmStatus.ParamInvalid);
        }

        if (!me.Links.TryGetValue(c.Remote, out var link))
        {
            return Done(m, LlmStatus.NotYetLink);
        }

        if (!Usable(m, me, c.Remote, link))
        {
            return TimedOut(m, me, c.Remote, link);
        }

        var peer = m.ById(c.Remote)!;
        if (!peer.Caches.TryGetValue(c.SrcId, out var s) || c.SrcRow >= s.Rows)
        {
            return Done(m, LlmStatus.KvCacheNotExist); // §9.11 step 9, §11 #15: a remote row out of range too
        }

        var (srcSel, dstSel2) = PullSelection(c.Ext, s, d);
        if (n > s.Stride || srcSel.Any(i => i >= s.NumTensors) || srcSel.Length != dstSel2.Length)
        {
            return Done(m, LlmStatus.ParamInvalid);
        }

        for (var k = 0; k < srcSel.Length; k++)
        {
            d = d.Write(dstSel2[k], c.DstRow * d.Stride, s.Read(srcSel[k], c.SrcRow * s.Stride, n));
        }

        return Done(m.With(me with { Caches = me.Caches.SetItem(d.Id, d) }), LlmStatus.Success);
    }

    private static ModelWorld PullBlocks(ModelWorld m, PullBlocksCmd c)
    {
        if (c.SrcBatch != 0 || !c.Ext.WellFormed || c.SrcBlocks.IsEmpty || c.SrcBlocks.Length != c.DstBlocks.Length)
        {
            return Rejected(m);
        }

        var me = m[c.Slot];
        if (!me.Initialized)
        {
            return Done(m, LlmStatus.Failed);
        }

        if (me.Role != LlmRole.Decoder)
        {
            return Done(m, LlmStatus.ParamInvalid);
        }

        if (!me.Caches.TryGetValue(c.DstId, out var d))
        {
            return Done(m, LlmStatus.KvCacheNotExist);
        }

        var (_, dstSel) = PullSelection(c.Ext, null, d);
        if (c.DstBlocks.Any(b => b >= (ulong)d.Rows) || dstSel.Any(i => i >= d.NumTensors))
        {
            return Done(m, LlmStatus.ParamInvalid);
        }

        if (!me.Links.TryGetValue(c.Remote, out var link))
        {
            return Done(m, LlmStatus.NotYetLink);
        }

        if (!Usable(m, me, c.Remote, link))
        {
            return TimedOut(m, me, c.Remote, link);
        }

        var peer = m.ById(c.Remote)!;
        if (!peer.Caches.TryGetValue(c.SrcId, out var s))
        {
            return Done(m, LlmStatus.KvCacheNotExist);
        }

        var (srcSel, dstSel2) = PullSelection(c.Ext, s, d);
        if (c.SrcBlocks.Any(b => b >= (ulong)s.Rows) || s.Stride != d.Stride || srcSel.Any(i => i >= s.NumTensors) || srcSel.Length != dstSel2.Length)
        {
            return Done(m, LlmStatus.ParamInvalid); // §9.12 steps 9, 12 and the equal block size rule (UB→sim)
        }

        for (var j = 0; j < c.SrcBlocks.Length; j++)
        {
            for (var k = 0; k < srcSel.Length; k++)
            {
                d = d.Write(dstSel2[k], (long)c.DstBlocks[j] * d.Stride, s.Read(srcSel[k], (long)c.SrcBlocks[j] * s.Stride, d.Stride));
            }
        }

        return Done(m.With(me with { Caches = me.Caches.SetItem(d.Id, d) }), LlmStatus.Success);
    }

    // ---- push (§9.10, §9.15, §9.16) --------------------------------------------------------------------------

    /// <summary>num_tensors of the caller's Cache argument: its own descriptor, or sample A's for an unknown id.</summary>
    public static uint PushDescTensors(ModelWorld m, int slot, PushSource src) =>
        src.DescTensors ?? (m[slot].Caches.TryGetValue(src.Id, out var cache) ? cache.NumTensors : Descs.Of(DescChoice.A).NumTensors);

    /// <summary>Layer pairs of a push (§9.10): every layer by the caller's num_tensors, or src range onto dst range.</summary>
    private static List<(long Src, long Dst)> PushLayers(Ext e, uint descTensors)
    {
        if (e.SrcFirst == -1)
        {
            var lmax = descTensors % e.N == 0 ? (descTensors / e.N) - 1 : descTensors / e.N;
            return [.. Enumerable.Range(0, (int)lmax + 1).Select(l => ((long)l, (long)l))];
        }

        // dst.first = -1 with a source range: the destination layer is huge (§9.10) and fails the layer check.
        return [.. Enumerable.Range(e.SrcFirst, e.SrcLast - e.SrcFirst + 1).Select(l => ((long)l, e.DstFirst == -1 ? long.MaxValue / 4 : (long)e.DstFirst + l - e.SrcFirst))];
    }

    private static ModelWorld PushBlocks(ModelWorld m, PushBlocksCmd c)
    {
        if (c.SrcBlocks.IsEmpty || c.SrcBlocks.Length != c.DstBlocks.Length || c.DstBatch != 0)
        {
            return Rejected(m);
        }

        return Push(m, c.Slot, c.Src, c.Remote, c.DstId, c.Ext, 0, 0, c.SrcBlocks, c.DstBlocks);
    }

    /// <summary>PushKvCache (blocks null) and PushKvBlocks: checked and written one layer at a time, in order.</summary>
    private static ModelWorld Push(ModelWorld m, int slot, PushSource src, ulong remote, long dstId, Ext e, uint srcRow, uint dstRow, ImmutableArray<ulong>? srcBlocks, ImmutableArray<ulong>? dstBlocks)
    {
        var descTensors = PushDescTensors(m, slot, src);
        if (src.Host || !e.WellFormed || !e.EqualLengths || (e.SrcFirst == -1 && descTensors == 0))
        {
            return Rejected(m);
        }

        var me = m[slot];
        if (!me.Initialized)
        {
            return Done(m, LlmStatus.Failed);
        }

        var n = (int)e.N;
        foreach (var (ls, ld) in PushLayers(e, descTensors))
        {
            if (me.Role != LlmRole.Prompt)
            {
                return Done(m, LlmStatus.ParamInvalid);
            }

            if (!me.Caches.TryGetValue(src.Id, out var s))
            {
                return Done(m, LlmStatus.KvCacheNotExist);
            }

            if ((srcBlocks is null && srcRow >= s.Rows) || ls >= s.Layers(n) || ld >= s.Layers(n) || s.NumTensors % n != 0
                || (srcBlocks is { } sb && sb.Any(b => b >= (ulong)s.Rows)))
            {
                return Done(m, LlmStatus.ParamInvalid); // CE limits the destination layer by the local layer count (quirk)
            }

            if (!me.Links.TryGetValue(remote, out var link))
            {
                return Done(m, LlmStatus.NotYetLink);
            }

            if (!Usable(m, me, remote, link))
            {
                return TimedOut(m, me, remote, link);
            }

            var peer = m.ById(remote)!;
            if (!peer.Caches.TryGetValue(dstId, out var d) || (srcBlocks is null && dstRow >= d.Rows))
            {
                return Done(m, LlmStatus.KvCacheNotExist); // §9.15: a remote row out of range is KV_CACHE_NOT_EXIST in CE
            }

            if (d.NumTensors % n != 0 || ld >= d.Layers(n) || (srcBlocks is null ? s.Stride > d.Stride : s.Stride != d.Stride)
                || (dstBlocks is { } db && db.Any(b => b >= (ulong)d.Rows)))
            {
                return Done(m, LlmStatus.ParamInvalid);
            }

            for (var i = 0; i < n; i++)
            {
                var st = (int)((ls * n) + i);
                var dt = (int)((ld * n) + i);
                if (srcBlocks is { } blocks)
                {
                    for (var j = 0; j < blocks.Length; j++)
                    {
                        d = d.Write(dt, (long)dstBlocks!.Value[j] * s.Stride, s.Read(st, (long)blocks[j] * s.Stride, s.Stride));
                    }
                }
                else
                {
                    d = d.Write(dt, dstRow * d.Stride, s.Read(st, srcRow * s.Stride, s.Stride));
                }
            }

            // Layers already pushed stay written if a later layer fails (§9.15 partial effect).
            m = m.With(peer with { Caches = peer.Caches.SetItem(d.Id, d) });
            me = m[slot];
        }

        return Done(m, LlmStatus.Success);
    }

    // ---- copy (§9.13, §9.14) ---------------------------------------------------------------------------------

    private static ModelWorld CopyCache(ModelWorld m, CopyCacheCmd c)
    {
        if (c.Size != -1 && c.Size <= 0)
        {
            return Rejected(m);
        }

        var me = m[c.Slot];
        if (!me.Initialized)
        {
            return Done(m, LlmStatus.Failed);
        }

        var s = me.Caches[c.SrcId];
        var d = me.Caches[c.DstId];
        if (c.SrcAsHost || c.BadDstDesc)
        {
            return Done(m, LlmStatus.ParamInvalid); // step 2 (host source), step 3 (addresses ≠ num_tensors)
        }

        var offset = (long)c.Offset;
        var n = c.Size != -1 ? c.Size : s.Stride - offset;
        if (c.SrcRow >= s.Rows || c.DstRow >= d.Rows
            || (offset > 0 && (offset >= s.Stride || offset >= d.Stride))
            || n > s.Stride - offset || n > d.Stride - offset
            || d.NumTensors < s.NumTensors)
        {
            return Done(m, LlmStatus.ParamInvalid); // steps 5–8
        }

        for (var t = 0; t < s.NumTensors; t++)
        {
            var bytes = s.Read(t, (c.SrcRow * s.Stride) + offset, n).ToArray();
            d = d.Write(t, (c.DstRow * d.Stride) + offset, bytes);
            if (s.Id == d.Id)
            {
                s = d;
            }
        }

        return Done(m.With(me with { Caches = me.Caches.SetItem(d.Id, d) }), LlmStatus.Success);
    }

    private static ModelWorld CopyBlocks(ModelWorld m, CopyBlocksCmd c)
    {
        if (c.SrcBlocks.IsEmpty || c.DstLists.IsEmpty || c.DstLists.Any(l => l.Length != c.SrcBlocks.Length))
        {
            return Rejected(m);
        }

        var me = m[c.Slot];
        if (!me.Initialized)
        {
            return Done(m, LlmStatus.Failed);
        }

        var s = me.Caches[c.SrcId];
        var d = me.Caches[c.DstId];
        if (s.Stride != d.Stride || d.NumTensors < s.NumTensors)
        {
            return Done(m, LlmStatus.ParamInvalid); // step 4, step 7 (UB→sim, before any copy)
        }

        // D2D: lists one after another, each tensor, each pair; an index out of range fails after the earlier copies.
        foreach (var list in c.DstLists)
        {
            for (var t = 0; t < s.NumTensors; t++)
            {
                for (var k = 0; k < list.Length; k++)
                {
                    if (c.SrcBlocks[k] >= (ulong)s.Rows || list[k] >= (ulong)d.Rows)
                    {
                        return Done(m.With(me with { Caches = me.Caches.SetItem(d.Id, d) }), LlmStatus.ParamInvalid);
                    }

                    var bytes = s.Read(t, (long)c.SrcBlocks[k] * s.Stride, s.Stride).ToArray();
                    d = d.Write(t, (long)list[k] * d.Stride, bytes);
                    if (s.Id == d.Id)
                    {
                        s = d;
                    }
                }
            }
        }

        return Done(m.With(me with { Caches = me.Caches.SetItem(d.Id, d) }), LlmStatus.Success);
    }
}
