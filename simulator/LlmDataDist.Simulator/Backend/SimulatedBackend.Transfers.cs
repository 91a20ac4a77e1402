using System.Runtime.InteropServices;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Backend;

// PullKvCache / PullKvBlocks / PushKvCache / PushKvBlocks (§9.10–9.12, §9.15–9.16): the validation order of each
// engine, then the transfer priced by the network, then the bytes.
public sealed partial class SimulatedBackend
{
    /// <inheritdoc />
    public async ValueTask<LlmStatus> PullKvCacheAsync(CacheIndex srcCacheIndex, Cache dstCache, uint batchIndex, long size, KvCacheExtParam extParam, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(srcCacheIndex);
        ArgumentNullException.ThrowIfNull(dstCache);
        ArgumentNullException.ThrowIfNull(extParam);
        Enter();
        var start = _fabric.Loop.NowNs;
        var status = await PullAsync(srcCacheIndex, dstCache, extParam, size, batchIndex, blocks: null, cancellationToken).ConfigureAwait(false);
        _fabric.TraceCall(this, start, "PullKvCache", status, ("src", $"{srcCacheIndex.ClusterId}/{srcCacheIndex.CacheId}[{srcCacheIndex.BatchIndex}]"), ("dst", $"{dstCache.CacheId}[{batchIndex}]"));
        return status;
    }

    /// <inheritdoc />
    public async ValueTask<LlmStatus> PullKvBlocksAsync(CacheIndex srcCacheIndex, Cache dstCache, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<ulong> dstBlocks, KvCacheExtParam extParam, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(srcCacheIndex);
        ArgumentNullException.ThrowIfNull(dstCache);
        ArgumentNullException.ThrowIfNull(srcBlocks);
        ArgumentNullException.ThrowIfNull(dstBlocks);
        ArgumentNullException.ThrowIfNull(extParam);
        Enter();
        var start = _fabric.Loop.NowNs;
        var status = await PullAsync(srcCacheIndex, dstCache, extParam, -1, 0, (srcBlocks, dstBlocks), cancellationToken).ConfigureAwait(false);
        _fabric.TraceCall(this, start, "PullKvBlocks", status, ("src", $"{srcCacheIndex.ClusterId}/{srcCacheIndex.CacheId}"), ("dst", dstCache.CacheId.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("blocks", srcBlocks.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return status;
    }

    private async Task<LlmStatus> PullAsync(CacheIndex src, Cache dstCache, KvCacheExtParam ext,
        long size, uint batch, (IReadOnlyList<ulong> Src, IReadOnlyList<ulong> Dst)? blocks, CancellationToken cancellationToken)
    {
        var ce = Profile == EngineProfile.CE;
        if (!IsInitialized)
        {
            return Why(LlmStatus.Failed, $"instance {ClusterId} is not initialized");
        }

        var callDeadline = CallDeadlineNs();
        if (blocks is null ? (size != -1 && size <= 0) : src.BatchIndex != 0)
        {
            return Why(LlmStatus.ParamInvalid, blocks is null ? $"size {size} must be -1 or positive" : $"src batch index {src.BatchIndex} must be 0 for blocks");
        }

        if (!LayerSelection.IsValid(ext, push: false) || (ce && Role != LlmRole.Decoder))
        {
            return Why(LlmStatus.ParamInvalid, ce && Role != LlmRole.Decoder
                ? $"CE pulls only from a Decoder; this instance is a {Role}"
                : $"layer ranges {ext.SrcLayerRange} -> {ext.DstLayerRange} are not a valid pull selection");
        }

        if (blocks is { } lists && (lists.Src.Count == 0 || lists.Src.Count != lists.Dst.Count))
        {
            return Why(LlmStatus.ParamInvalid, $"{lists.Src.Count} src blocks but {lists.Dst.Count} dst blocks");
        }

        if (!ce && src.ClusterId == ClusterId)
        {
            return Why(LlmStatus.ParamInvalid, $"HX cannot pull from itself (cluster {ClusterId})");
        }

        if (!_caches.TryGetValue(dstCache.CacheId, out var d))
        {
            return Why(LlmStatus.KvCacheNotExist, $"local cache {dstCache.CacheId} does not exist on cluster {ClusterId}");
        }

        var n = size > 0 ? size : d.Geometry.Stride;
        if (blocks is null ? (batch >= d.Geometry.Rows || n > d.Geometry.Stride) : AnyAtOrAbove(blocks.Value.Dst, (ulong)d.Geometry.Rows))
        {
            return Why(LlmStatus.ParamInvalid, blocks is { } bad
                ? $"dst block {bad.Dst.First(b => b >= (ulong)d.Geometry.Rows)} ≥ {d.Geometry.Rows} rows"
                : batch >= d.Geometry.Rows ? $"dst batch {batch} ≥ {d.Geometry.Rows} rows" : $"size {n} > {d.Geometry.Stride} bytes per row");
        }

        // CE sends a paged pull's block length as a 32-bit value (§8); rows of PullKvCache have no such limit.
        if (ce && blocks is not null && d.Geometry.Stride > int.MaxValue)
        {
            return Why(LlmStatus.ParamInvalid, $"CE pulls blocks of at most {int.MaxValue} bytes; cache {dstCache.CacheId}'s blocks have {d.Geometry.Stride}");
        }

        var useRanges = LayerSelection.PullUsesRanges(ext);
        if (useRanges)
        {
            var (dstFirst, dstCount) = LayerSelection.Tensors(ext.DstLayerRange, ext.TensorNumPerLayer);
            var (_, srcCount) = LayerSelection.Tensors(ext.SrcLayerRange, ext.TensorNumPerLayer);
            // CE's device checks the destination span; HX also wants divisibility and equal range lengths locally.
            if (dstFirst + dstCount > d.Desc.NumTensors || (!ce && (d.Desc.NumTensors % ext.TensorNumPerLayer != 0 || srcCount != dstCount)))
            {
                return Why(LlmStatus.ParamInvalid, $"dst layer range covers tensors {dstFirst}..{dstFirst + dstCount - 1} of {d.Desc.NumTensors}"
                    + (ce ? "" : $", {ext.TensorNumPerLayer} tensors per layer, {srcCount} src vs {dstCount} dst tensors"));
            }
        }

        var record = _links.GetValueOrDefault(src.ClusterId);
        var linkStatus = CheckLink(record, forPull: true);
        if (linkStatus != LlmStatus.Success)
        {
            return linkStatus;
        }

        using var callLocks = NewLocks(blocks is null ? "PullKvCache" : "PullKvBlocks");
        return await TransferOverAsync(record!, pull: true, callDeadline, callLocks, async deadline =>
        {
            var peer = record!.Peer;
            if (!ce)
            {
                var snapshot = await SnapshotAsync(record, deadline, cancellationToken).ConfigureAwait(false);
                if (snapshot != LlmStatus.Success)
                {
                    return (snapshot, null, null);
                }
            }

            if (!peer._caches.TryGetValue(src.CacheId, out var s) || (!ce && !record.Snapshot!.Contains(src.CacheId)))
            {
                return (Why(LlmStatus.KvCacheNotExist, $"remote cache {src.CacheId} does not exist on cluster {peer.ClusterId}{(ce ? "" : " (or was registered after the link's first transfer read its table)")}",
                    substitute: !ce && record.Snapshot!.Contains(src.CacheId)), null, null); // unregistered after the snapshot: UB→sim
            }

            var pairs = LayerSelection.PullPairs(ext, s.Desc.NumTensors, d.Desc.NumTensors);
            if (!ce && pairs is not null && PullRequest.Entries(pairs.Count, blocks?.Src, blocks?.Dst) is var entries && entries > PullRequest.EntriesMax)
            {
                return (Why(LlmStatus.ParamInvalid, $"the pull request needs {entries} entries (tensors + 2 per block run) > {PullRequest.EntriesMax}"), null, null);
            }

            if (blocks is null)
            {
                // CE reports a remote row out of range as a missing cache (§9.11 step 9); HX does not check (UB→sim).
                if (src.BatchIndex >= s.Geometry.Rows)
                {
                    var reason = $"src batch index {src.BatchIndex} ≥ {s.Geometry.Rows} rows of remote cache {src.CacheId}";
                    return (ce ? Why(LlmStatus.KvCacheNotExist, reason) : Substitute(LlmStatus.ParamInvalid, reason), null, null);
                }

                if (n > s.Geometry.Stride || pairs is null)
                {
                    return (Why(LlmStatus.ParamInvalid, pairs is null ? $"the layer ranges do not pair remote cache {src.CacheId}'s {s.Desc.NumTensors} tensors with the local {d.Desc.NumTensors}" : $"size {n} > remote row of {s.Geometry.Stride} bytes"), null, null);
                }

                var rowSegments = RentPlan();
                foreach (var p in pairs)
                {
                    rowSegments.Add(new Segment(p.Source, src.BatchIndex * s.Geometry.Stride, p.Destination, batch * d.Geometry.Stride, n));
                }

                return (LlmStatus.Success, s, rowSegments);
            }

            var (srcBlocks, dstBlocks) = blocks.Value;
            if (pairs is null || AnyAtOrAbove(srcBlocks, (ulong)s.Geometry.Rows) || s.Geometry.Stride != d.Geometry.Stride)
            {
                return (Why(LlmStatus.ParamInvalid, pairs is null ? $"the layer ranges do not pair remote cache {src.CacheId}'s {s.Desc.NumTensors} tensors with the local {d.Desc.NumTensors}"
                    : s.Geometry.Stride != d.Geometry.Stride ? $"remote block of {s.Geometry.Stride} bytes ≠ local block of {d.Geometry.Stride} bytes"
                    : $"src block {srcBlocks.First(b => b >= (ulong)s.Geometry.Rows)} ≥ {s.Geometry.Rows} blocks of remote cache {src.CacheId}",
                    // Unequal blocks are unchecked on HX, and on CE when the local block is a multiple of the remote one.
                    substitute: pairs is not null && !AnyAtOrAbove(srcBlocks, (ulong)s.Geometry.Rows) && (!ce || d.Geometry.Stride % s.Geometry.Stride == 0)), null, null);
            }

            var segments = RentPlan();
            segments.SetGrid(srcBlocks, s.Geometry.Stride, dstBlocks, d.Geometry.Stride, pairs, d.Geometry.Stride);
            return (LlmStatus.Success, s, segments);
        }, d, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<LlmStatus> PushKvCacheAsync(Cache srcCache, CacheIndex dstCacheIndex, uint srcBatchIndex, long size, KvCacheExtParam extParam, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(srcCache);
        ArgumentNullException.ThrowIfNull(dstCacheIndex);
        ArgumentNullException.ThrowIfNull(extParam);
        Enter();
        var start = _fabric.Loop.NowNs;
        var status = await PushAsync(srcCache, dstCacheIndex, extParam, size, srcBatchIndex, blocks: null, cancellationToken).ConfigureAwait(false);
        _fabric.TraceCall(this, start, "PushKvCache", status, ("src", $"{srcCache.CacheId}[{srcBatchIndex}]"), ("dst", $"{dstCacheIndex.ClusterId}/{dstCacheIndex.CacheId}[{dstCacheIndex.BatchIndex}]"));
        return status;
    }

    /// <inheritdoc />
    public async ValueTask<LlmStatus> PushKvBlocksAsync(Cache srcCache, CacheIndex dstCacheIndex, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<ulong> dstBlocks, KvCacheExtParam extParam, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(srcCache);
        ArgumentNullException.ThrowIfNull(dstCacheIndex);
        ArgumentNullException.ThrowIfNull(srcBlocks);
        ArgumentNullException.ThrowIfNull(dstBlocks);
        ArgumentNullException.ThrowIfNull(extParam);
        Enter();
        var start = _fabric.Loop.NowNs;
        var status = await PushAsync(srcCache, dstCacheIndex, extParam, -1, 0, (srcBlocks, dstBlocks), cancellationToken).ConfigureAwait(false);
        _fabric.TraceCall(this, start, "PushKvBlocks", status, ("src", srcCache.CacheId.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("dst", $"{dstCacheIndex.ClusterId}/{dstCacheIndex.CacheId}"), ("blocks", srcBlocks.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return status;
    }

    private async Task<LlmStatus> PushAsync(Cache srcCache, CacheIndex dst, KvCacheExtParam ext,
        long size, uint srcBatch, (IReadOnlyList<ulong> Src, IReadOnlyList<ulong> Dst)? blocks, CancellationToken cancellationToken)
    {
        var ce = Profile == EngineProfile.CE;
        if (!IsInitialized)
        {
            return Why(LlmStatus.Failed, $"instance {ClusterId} is not initialized");
        }

        // One budget for the whole call: a multi-layer push does not get a fresh wait per layer (§7, §12.10).
        var callDeadline = CallDeadlineNs();
        if (srcCache.CacheDesc.Placement != CachePlacement.Device)
        {
            return Why(LlmStatus.ParamInvalid, "push sends device caches only (Placement must be Device)");
        }

        if (blocks is { } lists ? lists.Src.Count == 0 || lists.Src.Count != lists.Dst.Count || dst.BatchIndex != 0 : size != -1)
        {
            return Why(LlmStatus.ParamInvalid, blocks is { } bl
                ? bl.Src.Count == 0 ? "no blocks to push" : bl.Src.Count != bl.Dst.Count ? $"{bl.Src.Count} src blocks but {bl.Dst.Count} dst blocks" : $"dst batch index {dst.BatchIndex} must be 0 for blocks"
                : $"size {size} must be -1 for a push");
        }

        if (!LayerSelection.IsValid(ext, push: true) || (ext.SrcLayerRange.IsAll && srcCache.CacheDesc.NumTensors == 0))
        {
            return Why(LlmStatus.ParamInvalid, $"the layer ranges (src {ext.SrcLayerRange}, dst {ext.DstLayerRange}, {ext.TensorNumPerLayer} tensors per layer) break the push rules");
        }

        var n = ext.TensorNumPerLayer;
        var me = _incarnation;
        using var callLocks = NewLocks(blocks is null ? "PushKvCache" : "PushKvBlocks");
        // Layers go one at a time; a failure at layer k leaves layers before k written (a partial effect of the engines).
        var landed = 0;
        foreach (var (srcLayer, dstLayer) in LayerSelection.PushLayers(ext, srcCache.CacheDesc.NumTensors))
        {
            if (ce && _npus.Count > 1)
            {
                return Why(LlmStatus.FeatureNotEnabled, $"CE push needs one device per instance; instance {ClusterId} has {_npus.Count}");
            }

            if (ce && Role != LlmRole.Prompt)
            {
                return Why(LlmStatus.ParamInvalid, $"CE pushes only from a Prompt; this instance is a {Role}");
            }

            if (!_caches.TryGetValue(srcCache.CacheId, out var s))
            {
                return Why(LlmStatus.KvCacheNotExist, $"local cache {srcCache.CacheId} does not exist on cluster {ClusterId}");
            }

            var srcRows = s.Geometry.Rows;
            if (ce && (srcBatch >= srcRows || srcLayer >= s.Geometry.Layers(n) || dstLayer >= s.Geometry.Layers(n)
                || s.Desc.NumTensors % n != 0 || (blocks is { } b && AnyAtOrAbove(b.Src, (ulong)srcRows))))
            {
                return WhyAfter(landed, LlmStatus.ParamInvalid, $"src batch {srcBatch} of {srcRows} rows, layers {srcLayer}→{dstLayer} of {s.Geometry.Layers(n)}, {s.Desc.NumTensors} tensors by {n} per layer, or a src block ≥ {srcRows}: out of range");
            }

            var record = _links.GetValueOrDefault(dst.ClusterId);
            var linkStatus = CheckLink(record, forPull: false);
            if (linkStatus != LlmStatus.Success)
            {
                return linkStatus;
            }

            var layerStatus = await TransferOverAsync(record!, pull: false, callDeadline, callLocks, async deadline =>
            {
                var peer = record!.Peer;
                if (!ce)
                {
                    var snapshot = await SnapshotAsync(record, deadline, cancellationToken).ConfigureAwait(false);
                    if (snapshot != LlmStatus.Success)
                    {
                        return (snapshot, null, null);
                    }
                }

                if (!peer._caches.TryGetValue(dst.CacheId, out var d) || (!ce && !record.Snapshot!.Contains(dst.CacheId)))
                {
                    return (Why(LlmStatus.KvCacheNotExist, $"remote cache {dst.CacheId} does not exist on cluster {peer.ClusterId}{(ce ? "" : " (or was registered after the link's first transfer read its table)")}",
                        substitute: !ce && record.Snapshot!.Contains(dst.CacheId)), null, null); // unregistered after the snapshot: UB→sim
                }

                var dstRows = d.Geometry.Rows;
                if (blocks is null && dst.BatchIndex >= dstRows)
                {
                    // CE's remote side calls an out-of-range row a missing cache; HX calls it invalid.
                    return (Why(ce ? LlmStatus.KvCacheNotExist : LlmStatus.ParamInvalid, $"dst batch index {dst.BatchIndex} ≥ {dstRows} rows of remote cache {dst.CacheId}"), null, null);
                }

                // The engines' own checks; a wider source row, unequal blocks and CE's destination blocks are UB→sim.
                var engineRule = dstLayer >= d.Geometry.Layers(n) || (ce && (d.Desc.NumTensors % n != 0 || s.Geometry.Stride > d.Geometry.TensorBytes))
                    || (!ce && (srcLayer >= s.Geometry.Layers(n) || s.Desc.NumTensors % n != 0 || srcBatch >= srcRows
                        || (blocks is { } hb && (AnyAtOrAbove(hb.Src, (ulong)srcRows) || AnyAtOrAbove(hb.Dst, (ulong)dstRows)))));
                if (engineRule || s.Geometry.Stride > d.Geometry.Stride
                    || (blocks is { } bb && (AnyAtOrAbove(bb.Dst, (ulong)dstRows) || s.Geometry.Stride != d.Geometry.Stride)))
                {
                    return (Why(LlmStatus.ParamInvalid, $"push of layer {srcLayer}→{dstLayer} does not fit remote cache {dst.CacheId} ({d.Geometry.Layers(n)} layers, {dstRows} rows of {d.Geometry.Stride} bytes; local rows of {s.Geometry.Stride} bytes)",
                        substitute: !engineRule), null, null);
                }

                var segments = RentPlan();
                for (var i = 0; i < n; i++)
                {
                    var from = (int)((srcLayer * n) + i);
                    var to = (int)((dstLayer * n) + i);
                    if (blocks is null)
                    {
                        segments.Add(new Segment(from, srcBatch * s.Geometry.Stride, to, dst.BatchIndex * d.Geometry.Stride, s.Geometry.Stride));
                        continue;
                    }

                    for (var j = 0; j < blocks.Value.Src.Count; j++)
                    {
                        segments.Add(new Segment(from, (long)blocks.Value.Src[j] * s.Geometry.Stride, to, (long)blocks.Value.Dst[j] * s.Geometry.Stride, s.Geometry.Stride));
                    }
                }

                return (LlmStatus.Success, d, segments);
            }, s, cancellationToken).ConfigureAwait(false);
            if (layerStatus != LlmStatus.Success || Ended(me))
            {
                return Ended(me) ? Why(LlmStatus.Failed, EndedReason) : FlagAfter(landed, layerStatus);
            }

            landed++;
        }

        return LlmStatus.Success;
    }

    // A loop, not LINQ's Any: a closure per check on every block transfer and copy.
    private static bool AnyAtOrAbove(IReadOnlyList<ulong> blocks, ulong limit)
    {
        for (var i = 0; i < blocks.Count; i++)
        {
            if (blocks[i] >= limit)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>llm.SyncKvCacheWaitTime from now: when a pull or push must have completed.</summary>
    private long CallDeadlineNs() => SimTime.AddSaturating(_fabric.Loop.NowNs, _options!.SyncWaitMs * SimTime.NsPerMs);

    /// <summary>Which record a transfer may use, and the statuses of a missing, busy or broken one.</summary>
    private LlmStatus CheckLink(LinkRecord? record, bool forPull)
    {
        if (record is null)
        {
            return Why(LlmStatus.NotYetLink, $"instance {ClusterId} has no link to that cluster");
        }

        if (record.SettingUp)
        {
            return Why(LlmStatus.NotYetLink, $"the link to cluster {record.PeerClusterId} is still being set up (its Link has not completed)");
        }

        if (Profile == EngineProfile.CE)
        {
            if (record.Unlinking)
            {
                return Why(LlmStatus.LinkBusy, "the link is being unlinked");
            }

            // CE pulls over a client record only (the device function answers FAILED for a server-side one).
            if (forPull && !record.IsClient)
            {
                return Why(LlmStatus.Failed, $"CE pulls over a client link only; instance {ClusterId} is the server of its link to cluster {record.PeerClusterId}");
            }
        }
        else if (record.Unlinking)
        {
            return Why(LlmStatus.NotYetLink, $"the link to cluster {record.PeerClusterId} is being unlinked"); // HX: the record is marked destroyed by a running unlink (§10)
        }

        return LlmStatus.Success;
    }

    /// <summary>HX: the first transfer over a link reads the peer's cache table once; later registrations stay invisible.</summary>
    private async Task<LlmStatus> SnapshotAsync(LinkRecord record, long deadlineNs, CancellationToken cancellationToken)
    {
        if (record.Snapshot is not null)
        {
            return LlmStatus.Success;
        }

        var request = await ControlMessageAsync(record.Peer, toPeer: true, deadlineNs, cancellationToken).ConfigureAwait(false);
        var answer = request == TransferStatus.Completed ? await ControlMessageAsync(record.Peer, toPeer: false, deadlineNs, cancellationToken).ConfigureAwait(false) : request;
        if (!IsInitialized)
        {
            return Why(LlmStatus.Failed, EndedReason); // this instance went down during the read; the caller ends the call
        }

        var broken = WhyLinkBroken(record);
        if (answer != TransferStatus.Completed || broken is not null)
        {
            // Like a lost data transfer, a lost table read breaks the link until it is rebuilt (§6.5).
            await DelayUntilAsync(deadlineNs, cancellationToken).ConfigureAwait(false);
            MarkFaulted(record);
            return Why(LlmStatus.Timeout, $"reading cluster {record.PeerClusterId}'s cache table {(broken is not null ? $"found the link broken ({broken})" : $"failed ({answer})")} within {SyncWaitText}; the link stays broken until relinked");
        }

        record.Snapshot = [.. record.Peer._caches.Keys];
        return LlmStatus.Success;
    }

    /// <summary>
    /// Whether a link can still carry a transfer: null when it can, else why not. Asked before a transfer takes the
    /// link's locks and again after every await that lets the world move on (the locks, HX's cache-table read, the data
    /// phase): meanwhile the transfer ahead in the queue may have timed out and faulted the link (§6.5), the peer may have
    /// dropped its side (half-open, §6.2), or this side its record. A broken link carries nothing until it is unlinked
    /// and linked again (a new record).
    /// </summary>
    private string? WhyLinkBroken(LinkRecord record) =>
        record.Fault is not null ? "an earlier transfer broke it"
        : record.IsHalfOpen ? "the peer dropped its side (half-open)"
        : !Holds(record) ? $"instance {ClusterId} dropped its record of it"
        : null;

    /// <summary>
    /// Runs one transfer over a link: a broken link (<see cref="WhyLinkBroken"/>, checked before and after every await)
    /// answers its timeout after the full wait; otherwise the plan (checks that need the peer) runs, the network prices
    /// the bytes within llm.SyncKvCacheWaitTime, and only a completed transfer writes them. A timeout leaves the
    /// destination untouched and the link faulted.
    /// </summary>
    private async Task<LlmStatus> TransferOverAsync(LinkRecord record, bool pull, long deadline, HeldLocks callLocks,
        Func<long, Task<(LlmStatus Status, SimulatedCache? Remote, TransferPlan? Segments)>> plan, SimulatedCache local, CancellationToken cancellationToken)
    {
        var me = _incarnation;
        if (WhyLinkBroken(record) is { } broken)
        {
            return await FaultedAsync(me, record, deadline, broken, cancellationToken).ConfigureAwait(false);
        }

        // CE takes its locks per device request (each layer of a push is one); HX once per call.
        using var requestLocks = Profile == EngineProfile.CE ? NewLocks(pull ? "Pull" : "Push") : null;
        var locked = await TakeTransferLocksAsync(record, pull, deadline, requestLocks ?? callLocks, cancellationToken).ConfigureAwait(false);
        if (Ended(me))
        {
            return Why(LlmStatus.Failed, EndedReason);
        }

        if (locked != LlmStatus.Success)
        {
            return locked;
        }

        if (!Holds(record) || record.Unlinking)
        {
            // Unlinked while this transfer waited for the link: CE sees the unlink (LINK_BUSY), HX a destroyed record.
            return Profile == EngineProfile.CE && Holds(record)
                ? Why(LlmStatus.LinkBusy, $"the link to cluster {record.PeerClusterId} is being unlinked")
                : Why(LlmStatus.NotYetLink, $"the link to cluster {record.PeerClusterId} was unlinked while the transfer waited for it");
        }

        if (WhyLinkBroken(record) is { } brokenWhileQueued)
        {
            // The transfer ahead of this one in the queue timed out (or the peer went down) while this one waited: the
            // link is Faulted now, however the network is doing (§6.5). Nothing is sent, so, like a transfer that found
            // the link broken before queueing, it waits out its budget without holding the queue or the link.
            (requestLocks ?? callLocks).Dispose();
            return await FaultedAsync(me, record, deadline, $"{brokenWhileQueued} while this transfer waited for the link", cancellationToken).ConfigureAwait(false);
        }

        if (DeviceSilent([Npu!.Value, record.Peer.Npu ?? Npu!.Value]))
        {
            TraceFault("DeviceUnresponsive", pull ? "pull" : "push");
            return await FaultedAsync(me, record, deadline, "a device did not answer (fault plan)", cancellationToken).ConfigureAwait(false);
        }

        record.Transfers++;
        TransferPlan? segments = null;
        try
        {
            (var status, var remote, segments) = await plan(deadline).ConfigureAwait(false);
            if (Ended(me))
            {
                return Why(LlmStatus.Failed, EndedReason);
            }

            if (status != LlmStatus.Success)
            {
                return status;
            }

            if (WhyLinkBroken(record) is { } brokenWhilePlanning)
            {
                return await FaultedAsync(me, record, deadline, $"{brokenWhilePlanning} while the transfer was set up", cancellationToken).ConfigureAwait(false);
            }

            var (source, destination) = pull ? (remote!, local) : (local, remote!);
            var (sourceNpu, destinationNpu) = pull ? (record.Peer.Npu!.Value, Npu!.Value) : (Npu!.Value, record.Peer.Npu!.Value);
            var bytes = segments!.Bytes();
            using var writing = Writing(pull, record, destination, segments!);
            // CE and the HX default backend move KV over the HCCL communicator; HX with llm.TransferBackend=hixl over HIXL.
            var path = Profile == EngineProfile.HX && _options!.HixlBackend ? TransferPath.HixlCs : TransferPath.CommDomain;
            var outcome = await _fabric.TransferAsync(sourceNpu, destinationNpu, bytes, segments.Runs(), path,
                pull ? TransferDirection.Pull : TransferDirection.Push, deadline, cancellationToken).ConfigureAwait(false);
            if (Ended(me))
            {
                return Why(LlmStatus.Failed, EndedReason); // nothing is written: this side's memory is gone
            }

            if (outcome.Status != TransferStatus.Canceled && WhyLinkBroken(record) is { } brokenWhileMoving)
            {
                // Typically the peer finalized or crashed while the bytes moved: its memory is gone, and the engine hears
                // nothing until its wait expires (§6.2 half-open). Nothing is written.
                return await FaultedAsync(me, record, deadline, $"{brokenWhileMoving} while the bytes moved", cancellationToken).ConfigureAwait(false);
            }

            switch (outcome.Status)
            {
                case TransferStatus.Completed when _fabric.Faults?.TransferErrorCode(ClusterId, _fabric.Loop.NowNs) is { } code:
                    // The stream reports a runtime error: HX returns the raw ACL code unchanged (§2); CE's status filter
                    // turns any code outside its whitelist into FAILED. Nothing is written; the link is unchanged.
                    TraceFault("TransferError", code.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    return Why(Profile == EngineProfile.CE ? LlmStatus.Failed : (LlmStatus)code,
                        $"the stream reported runtime error {code} (fault plan){(Profile == EngineProfile.CE ? "; CE reports codes outside its whitelist as FAILED" : "")}; nothing was written");
                case TransferStatus.Completed:
                    return Copy(source, destination, segments!);
                case TransferStatus.Canceled:
                    cancellationToken.ThrowIfCancellationRequested();
                    return Why(LlmStatus.Failed, "the transfer was canceled");
                default:
                    // Timed out, or the path went down: the engine sees nothing until its wait expires.
                    ArmLateLanding(pull, record, source, destination, segments!, deadline);
                    return await FaultedAsync(me, record, deadline, $"the transfer ended {outcome.Status}", cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            record.Transfers--;
            if (segments is not null)
            {
                ReturnPlan(segments);
            }
        }
    }

    /// <summary>A transfer over a faulted or half-open link: the engine's timeout after the full wait, and the link stays faulted.</summary>
    private async Task<LlmStatus> FaultedAsync(long me, LinkRecord record, long deadline, string cause, CancellationToken cancellationToken)
    {
        await DelayUntilAsync(deadline, cancellationToken).ConfigureAwait(false);
        if (Ended(me))
        {
            return Why(LlmStatus.Failed, EndedReason);
        }

        MarkFaulted(record);
        return Why(record.Fault!.Value, $"the link to cluster {record.PeerClusterId} is broken ({cause}); the engine waited {SyncWaitText}; unlink and link again");
    }

    /// <summary>The link enters Faulted (§6.2): from now on every transfer over this record answers the engine's timeout,
    /// until it is unlinked (a relink makes a new record). Traced once, as <c>LinkFaulted</c>, while this side holds it.</summary>
    private void MarkFaulted(LinkRecord record)
    {
        if (record.Fault is not null)
        {
            return;
        }

        record.Fault = TimeoutStatus;
        if (_fabric.Trace is { } trace && Holds(record)) // a record already dropped is no link any more: nothing to show
        {
            var actor = Npu is { } npu ? TraceActor.Npu(_fabric.Topology.Npus[npu]) : TraceActor.Host(_server);
            trace.Instant(_fabric.Loop.NowNs, "link", "LinkFaulted", actor, ("cluster", ClusterId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("peer", record.PeerClusterId.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("status", TimeoutStatus.ToString()));
        }
    }

    /// <summary>Writes the segments in order (a duplicated destination block: the last write wins).</summary>
    private LlmStatus Copy(SimulatedCache source, SimulatedCache destination, TransferPlan plan)
    {
        if (plan.IsGrid)
        {
            var (fits, holdsBytes) = plan.CheckGrid(_fabric.Memory, source, destination);
            if (!fits)
            {
                return Why(LlmStatus.ParamInvalid, "a block lies outside registered memory that no longer resolves"); // UB→sim: registered memory that no longer resolves
            }

            if (!holdsBytes)
            {
                return LlmStatus.Success; // metadata mode, as below
            }
        }

        var segments = plan.Segments();
        // Each tensor is resolved once (an address lookup per block would cost more than copying a small block), and
        // every segment is checked before the first byte moves, so a failure writes nothing.
        var sources = new ResolvedRange?[source.Addresses.Count];
        var destinations = new ResolvedRange?[destination.Addresses.Count];
        // The lengths of the tensors resolved so far (Unresolved until looked up): the per-segment check then reads a
        // long instead of copying a nullable range, which matters at thousands of segments per call.
        var sourceLengths = TensorLengths(sources.Length);
        var destinationLengths = TensorLengths(destinations.Length);
        foreach (ref readonly var s in CollectionsMarshal.AsSpan(segments))
        {
            if (!Fits(s.SourceOffset + s.Bytes, sourceLengths, sources, source, s.SourceTensor)
                || !Fits(s.DestinationOffset + s.Bytes, destinationLengths, destinations, destination, s.DestinationTensor))
            {
                return Substitute(LlmStatus.ParamInvalid, "a block lies outside registered memory that no longer resolves");
            }
        }

        if (!HoldsBytes(sources) || !HoldsBytes(destinations))
        {
            return LlmStatus.Success; // metadata mode: a copy would move nothing, so skip the walk over every segment
        }

        foreach (var s in CollectionsMarshal.AsSpan(segments))
        {
            var from = sources[s.SourceTensor]!.Value;
            var to = destinations[s.DestinationTensor]!.Value;
            new ResolvedRange(from.Buffer, from.Offset + s.SourceOffset, s.Bytes).CopyTo(new ResolvedRange(to.Buffer, to.Offset + s.DestinationOffset, s.Bytes));
        }

        return LlmStatus.Success;
    }

    private const long Unresolved = -1;

    private static long[] TensorLengths(int tensors)
    {
        var lengths = new long[tensors];
        lengths.AsSpan().Fill(Unresolved);
        return lengths;
    }

    /// <summary>Whether a tensor resolves and ends at or after <paramref name="end"/>; resolves it on first use.</summary>
    private bool Fits(long end, long[] lengths, ResolvedRange?[] resolved, SimulatedCache cache, int tensor)
    {
        if (lengths[tensor] == Unresolved && Tensor(resolved, cache, tensor) is { } range)
        {
            lengths[tensor] = range.Length;
        }

        return resolved[tensor] is not null && end <= lengths[tensor];
    }

    private static bool HoldsBytes(ResolvedRange?[] tensors)
    {
        foreach (var tensor in tensors)
        {
            if (tensor is { Buffer.HasBytes: true })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A tensor's whole buffer range, resolved on first use; null when its address resolves to nothing.</summary>
    private ResolvedRange? Tensor(ResolvedRange?[] resolved, SimulatedCache cache, int tensor)
    {
        if (resolved[tensor] is null && _fabric.Memory.TryResolve(cache.Addresses[tensor], cache.Geometry.TensorBytes, out var range))
        {
            resolved[tensor] = range;
        }

        return resolved[tensor];
    }
}
