using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Backend;

// CopyKvCache / CopyKvBlocks (CE only, §9.13–9.14): local copies between any addresses, registered or not.
public sealed partial class SimulatedBackend
{
    /// <inheritdoc />
    public ValueTask<LlmStatus> CopyKvCacheAsync(Cache srcCache, Cache dstCache, uint srcBatchIndex, uint dstBatchIndex, ulong offset, long size, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(srcCache);
        ArgumentNullException.ThrowIfNull(dstCache);
        Enter();
        return Done(CopyCache(srcCache, dstCache, srcBatchIndex, dstBatchIndex, offset, size));
    }

    private LlmStatus CopyCache(Cache src, Cache dst, uint srcBatch, uint dstBatch, ulong offset, long size)
    {
        if (Profile == EngineProfile.HX)
        {
            return Why(LlmStatus.FeatureNotEnabled, "CopyKvCache is CE only");
        }

        if (!IsInitialized)
        {
            return Why(LlmStatus.Failed, $"instance {ClusterId} is not initialized");
        }

        if (src.CacheDesc.Placement == CachePlacement.Host)
        {
            return Why(LlmStatus.ParamInvalid, "CopyKvCache copies from device caches only (H2D and H2H are not supported)"); // H2D and H2H are not supported
        }

        if (!TryDescribe(src, out var s) || !TryDescribe(dst, out var d))
        {
            return Why(LlmStatus.ParamInvalid, $"cache {src.CacheId} or {dst.CacheId} has a descriptor with no valid geometry");
        }

        if ((size != -1 && size <= 0) || srcBatch >= s.Rows || dstBatch >= d.Rows)
        {
            return Why(LlmStatus.ParamInvalid, size != -1 && size <= 0 ? $"size {size} must be -1 or positive"
                : srcBatch >= s.Rows ? $"src batch index {srcBatch} ≥ {s.Rows} rows" : $"dst batch index {dstBatch} ≥ {d.Rows} rows");
        }

        if (offset > 0 && (offset >= (ulong)s.Stride || offset >= (ulong)d.Stride))
        {
            return Why(LlmStatus.ParamInvalid, $"offset {offset} ≥ row of {Math.Min(s.Stride, d.Stride)} bytes");
        }

        var off = (long)offset;
        var n = size != -1 ? size : s.Stride - off;
        if (n > s.Stride - off || n > d.Stride - off)
        {
            return Why(LlmStatus.ParamInvalid, $"{n} bytes from offset {off} overrun a row (src {s.Stride}, dst {d.Stride} bytes)");
        }

        if (d.NumTensors < s.NumTensors)
        {
            return Substitute(LlmStatus.ParamInvalid, $"dst has {d.NumTensors} tensors < src's {s.NumTensors}"); // the engine never checks it
        }

        var copies = new List<(ResolvedRange From, ResolvedRange To)>();
        for (var device = 0; device < _npus.Count; device++)
        {
            for (var t = 0; t < s.NumTensors; t++)
            {
                var from = src.TensorAddrs[(device * (int)s.NumTensors) + t] + (ulong)((srcBatch * s.Stride) + off);
                var to = dst.TensorAddrs[(device * (int)d.NumTensors) + t] + (ulong)((dstBatch * d.Stride) + off);
                if (!_fabric.Memory.TryResolve(from, n, out var fromRange) || !_fabric.Memory.TryResolve(to, n, out var toRange))
                {
                    return Substitute(LlmStatus.ParamInvalid, $"tensor {t} of device {device}: an address resolves to no allocated buffer");
                }

                copies.Add((fromRange, toRange));
            }
        }

        foreach (var (from, to) in copies)
        {
            from.CopyTo(to);
        }

        return LlmStatus.Success;
    }

    /// <summary>Device staging buffers of one block each that an H2D CopyKvBlocks needs (§9.14).</summary>
    private const int StagingBuffers = 4;

    /// <inheritdoc />
    public ValueTask<LlmStatus> CopyKvBlocksAsync(Cache srcCache, Cache dstCache, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<IReadOnlyList<ulong>> dstBlocksList, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(srcCache);
        ArgumentNullException.ThrowIfNull(dstCache);
        ArgumentNullException.ThrowIfNull(srcBlocks);
        ArgumentNullException.ThrowIfNull(dstBlocksList);
        Enter();
        return Done(CopyBlocks(srcCache, dstCache, srcBlocks, dstBlocksList));
    }

    private LlmStatus CopyBlocks(Cache src, Cache dst, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<IReadOnlyList<ulong>> lists)
    {
        if (Profile == EngineProfile.HX)
        {
            return Why(LlmStatus.FeatureNotEnabled, "CopyKvBlocks is CE only");
        }

        if (!IsInitialized)
        {
            return Why(LlmStatus.Failed, $"instance {ClusterId} is not initialized");
        }

        if (srcBlocks.Count == 0 || lists.Count == 0 || !TryDescribe(src, out var s) || !TryDescribe(dst, out var d) || s.Stride != d.Stride)
        {
            return Why(LlmStatus.ParamInvalid, srcBlocks.Count == 0 || lists.Count == 0 ? "no blocks to copy"
                : TryDescribe(src, out var sg) && TryDescribe(dst, out var dg) ? $"src block of {sg.Stride} bytes ≠ dst block of {dg.Stride} bytes"
                : $"cache {src.CacheId} or {dst.CacheId} has a descriptor with no valid geometry");
        }

        var srcHost = src.CacheDesc.Placement == CachePlacement.Host;
        var dstHost = dst.CacheDesc.Placement == CachePlacement.Host;
        if (srcHost && dstHost)
        {
            return Why(LlmStatus.ParamInvalid, "host-to-host block copies are not supported");
        }

        if (srcHost != dstHost)
        {
            // H2D / D2H: every list and (UB→sim) every block index is checked before anything is copied.
            if (lists.Any(l => l.Count != srcBlocks.Count) || s.NumTensors != d.NumTensors)
            {
                return Why(LlmStatus.ParamInvalid, s.NumTensors != d.NumTensors ? $"src has {s.NumTensors} tensors, dst {d.NumTensors}"
                    : $"a dst list does not have the {srcBlocks.Count} blocks of the src list");
            }

            if (AnyAtOrAbove(srcBlocks, (ulong)s.Rows) || lists.Any(l => AnyAtOrAbove(l, (ulong)d.Rows)))
            {
                return Substitute(LlmStatus.ParamInvalid, $"a block index is out of range (src {s.Rows}, dst {d.Rows} blocks)");
            }

            // H2D stages through four device buffers of one block each, taken from the device pool (§9.14 step 6):
            // without room for them the call is DEVICE_OUT_OF_MEMORY and nothing is copied.
            if (srcHost && _poolUsedBytes + (StagingBuffers * RoundUp(s.Stride, MemorySpace.AlignmentBytes)) > PoolBytes)
            {
                return Why(LlmStatus.DeviceOutOfMemory, $"H2D staging needs {StagingBuffers} blocks of {s.Stride} bytes; {PoolBytes - _poolUsedBytes} of the {PoolBytes}-byte pool free (llm.BufPoolCfg)");
            }

            return CopyBlockLists(src, dst, s, d, srcBlocks, lists) ?? LlmStatus.Success;
        }

        if (d.NumTensors < s.NumTensors)
        {
            return Substitute(LlmStatus.ParamInvalid, $"dst has {d.NumTensors} tensors < src's {s.NumTensors}"); // checked before any copy
        }

        // D2D: lists run one after another and a bad list or block fails after the earlier copies landed — a
        // partial effect the engine has, reproduced deterministically.
        return CopyBlockLists(src, dst, s, d, srcBlocks, lists) ?? LlmStatus.Success;
    }

    /// <summary>Copies list by list, tensor by tensor, pair by pair; returns the failure status at the first bad list or block.</summary>
    private LlmStatus? CopyBlockLists(Cache src, Cache dst, CacheGeometry s, CacheGeometry d, IReadOnlyList<ulong> srcBlocks, IReadOnlyList<IReadOnlyList<ulong>> lists)
    {
        var copied = false;
        LlmStatus Fail(string reason) => copied ? Partial(LlmStatus.ParamInvalid, reason + " (earlier copies of this call stay)") : Why(LlmStatus.ParamInvalid, reason);
        foreach (var list in lists)
        {
            if (list.Count != srcBlocks.Count)
            {
                return Fail($"a dst list has {list.Count} blocks, the src list {srcBlocks.Count}");
            }

            for (var device = 0; device < _npus.Count; device++)
            {
                for (var t = 0; t < s.NumTensors; t++)
                {
                    for (var k = 0; k < srcBlocks.Count; k++)
                    {
                        if (srcBlocks[k] >= (ulong)s.Rows || list[k] >= (ulong)d.Rows)
                        {
                            return Fail(srcBlocks[k] >= (ulong)s.Rows ? $"src block {srcBlocks[k]} ≥ {s.Rows} blocks" : $"dst block {list[k]} ≥ {d.Rows} blocks");
                        }

                        var from = src.TensorAddrs[(device * (int)s.NumTensors) + t] + (srcBlocks[k] * (ulong)s.Stride);
                        var to = dst.TensorAddrs[(device * (int)d.NumTensors) + t] + (list[k] * (ulong)d.Stride);
                        if (!_fabric.Memory.TryResolve(from, s.Stride, out var fromRange) || !_fabric.Memory.TryResolve(to, s.Stride, out var toRange))
                        {
                            return Substitute(LlmStatus.ParamInvalid, $"tensor {t} of device {device}: a block address resolves to no allocated buffer");
                        }

                        fromRange.CopyTo(toRange);
                        copied = true;
                    }
                }
            }
        }

        return null;
    }

    /// <summary>Copy's descriptor check: the host size table, no rank rule, and one address per tensor and device.</summary>
    private bool TryDescribe(Cache cache, out CacheGeometry geometry) =>
        CacheGeometry.TryCreate(cache.CacheDesc, Sizing.Host, checkRank: false, out geometry) == LlmStatus.Success
        && cache.TensorAddrs.Count == cache.CacheDesc.NumTensors * _npus.Count;
}
