using System.Globalization;
using CommunityToolkit.HighPerformance.Buffers;

namespace LlmDataDist.Simulator;

/// <summary>
/// One address space (an NPU's HBM or a server's host memory) with a first-fit allocator over 512-byte-aligned
/// ranges. Freed ranges coalesce with their neighbours and are reused, lowest address first, as a real pool would.
/// Any address inside a live buffer, interior pointers included, resolves back to (buffer, offset).
/// </summary>
public sealed class MemorySpace
{
    /// <summary>Alignment of every buffer (CE <c>kMemAlign</c>).</summary>
    public const long AlignmentBytes = 512;

    // Both sorted by offset. Lists, not trees: lookups are binary searches, and a cache's buffers are freed in one
    // compaction pass (FreeAll), so a cache of n tensors allocates and frees in O(n), not O(n²) shifts.
    private readonly List<(long Offset, long Length)> _free = [];
    private readonly List<SimBuffer> _buffers = [];

    /// <summary>Bumped whenever the live buffers change, so a caller may remember what an address resolved to until then.</summary>
    internal long Version { get; private set; }
    private readonly FaultInjector? _faults;
    private readonly SimLoop? _loop;
    private readonly Trace? _trace;
    private readonly TraceActor _actor;

    internal MemorySpace(MemorySpaceKind kind, int index, long capacityBytes, bool metadataOnly,
        TraceActor actor, FaultInjector? faults, SimLoop? loop, Trace? trace)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacityBytes, SimAddress.SpaceBytesMax);
        Kind = kind;
        Index = index;
        CapacityBytes = capacityBytes;
        MetadataOnly = metadataOnly;
        BaseAddress = SimAddress.Base(kind, index);
        _actor = actor;
        _faults = faults;
        _loop = loop;
        _trace = trace;
        var usable = capacityBytes / AlignmentBytes * AlignmentBytes;
        if (usable > 0)
        {
            _free.Add((0, usable));
        }
    }

    /// <summary>Device or host.</summary>
    public MemorySpaceKind Kind { get; }

    /// <summary>NPU id or server index.</summary>
    public int Index { get; }

    /// <summary>Name for traces: <c>npu3</c> or <c>host0</c>.</summary>
    public string Name => Kind == MemorySpaceKind.Device ? $"npu{Index}" : $"host{Index}";

    /// <summary>Capacity in bytes.</summary>
    public long CapacityBytes { get; }

    /// <summary>Bytes reserved by live buffers (aligned sizes).</summary>
    public long UsedBytes { get; private set; }

    /// <summary>Bytes not reserved (possibly fragmented).</summary>
    public long FreeBytes => CapacityBytes - UsedBytes;

    /// <summary>The address of offset 0.</summary>
    public ulong BaseAddress { get; }

    /// <summary>Whether buffers keep sizes and addresses but no bytes.</summary>
    public bool MetadataOnly { get; }

    /// <summary>Allocation attempts so far, failed ones included; the fault plan counts the Nth attempt with it.</summary>
    public long AllocationCount { get; private set; }

    /// <summary>Live buffers in address order.</summary>
    public IReadOnlyList<SimBuffer> Buffers => _buffers;

    /// <summary>Bookkeeping steps so far: list entries shifted by inserts and removals, and entries scanned. A cost
    /// measure for scaling tests (operation counts, not wall time).</summary>
    public long BookkeepingSteps { get; private set; }

    /// <summary>Allocates <paramref name="sizeBytes"/> at the lowest free aligned address that fits. Bytes start zeroed
    /// (the hardware leaves them unspecified; zero keeps runs reproducible).</summary>
    /// <param name="sizeBytes">Positive size.</param>
    /// <param name="tag">Label for traces.</param>
    /// <returns>The buffer, or <see cref="AllocationStatus.OutOfMemory"/> / <see cref="AllocationStatus.FaultInjected"/>.</returns>
    /// <exception cref="NotSupportedException">A buffer with bytes larger than an array can hold: use metadata-only mode.</exception>
    public AllocationResult Allocate(long sizeBytes, string? tag = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sizeBytes);
        _loop?.AssertOnLoopThread();
        var ordinal = ++AllocationCount;
        if (Kind == MemorySpaceKind.Device && _faults is not null && _faults.IsAllocationFailing(Index, ordinal))
        {
            return Traced(new AllocationResult(AllocationStatus.FaultInjected, null), sizeBytes, tag);
        }

        var reserved = sizeBytes > CapacityBytes ? long.MaxValue : (sizeBytes + AlignmentBytes - 1) / AlignmentBytes * AlignmentBytes;
        var slot = _free.FindIndex(f => f.Length >= reserved);
        BookkeepingSteps += slot < 0 ? _free.Count : slot + 1;
        if (slot < 0)
        {
            return Traced(new AllocationResult(AllocationStatus.OutOfMemory, null), sizeBytes, tag);
        }

        if (!MetadataOnly && sizeBytes > Array.MaxLength)
        {
            throw new NotSupportedException($"a {sizeBytes}-byte buffer with real bytes exceeds one array; use metadata-only mode for such sizes");
        }

        var (offset, length) = _free[slot];
        if (length == reserved)
        {
            _free.RemoveAt(slot);
        }
        else
        {
            _free[slot] = (offset + reserved, length - reserved);
        }

        var bytes = MetadataOnly ? null : MemoryOwner<byte>.Allocate((int)sizeBytes, AllocationMode.Clear);
        var buffer = new SimBuffer(this, ordinal, offset, sizeBytes, reserved, tag, bytes);
        var at = LowerBound(offset);
        BookkeepingSteps += _buffers.Count - at + 1;
        _buffers.Insert(at, buffer);
        Version++;
        UsedBytes += reserved;
        return Traced(new AllocationResult(AllocationStatus.Success, buffer), sizeBytes, tag);
    }

    /// <summary>Frees a buffer of this space and returns its bytes to the pool.</summary>
    /// <param name="buffer">The buffer.</param>
    /// <returns>False when it is not a live buffer of this space (double free).</returns>
    public bool Free(SimBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        _loop?.AssertOnLoopThread();
        if (buffer.Space != this || !buffer.IsLive)
        {
            return false;
        }

        var at = LowerBound(buffer.Offset);
        BookkeepingSteps += _buffers.Count - at;
        _buffers.RemoveAt(at);
        Version++;
        Released(buffer);
        InsertFree(buffer.Offset, buffer.ReservedBytes);
        return true;
    }

    /// <summary>Frees many buffers of this space at once (a cache's tensors): one compaction pass over the buffer list
    /// and one free-list insertion per contiguous run, so the cost is linear in the buffers, where freeing them one by
    /// one shifts the list once per buffer. Traces a Free per buffer, in the order given.</summary>
    /// <param name="buffers">The buffers; ones that are not live buffers of this space are skipped.</param>
    /// <returns>How many were freed.</returns>
    public int FreeAll(IReadOnlyList<SimBuffer> buffers)
    {
        ArgumentNullException.ThrowIfNull(buffers);
        _loop?.AssertOnLoopThread();
        var freed = new List<SimBuffer>(buffers.Count);
        var first = _buffers.Count;
        foreach (var buffer in buffers)
        {
            if (buffer.Space == this && buffer.IsLive)
            {
                first = Math.Min(first, LowerBound(buffer.Offset));
                Released(buffer); // not live any more: the compaction below drops it, a duplicate in the list is skipped
                freed.Add(buffer);
            }
        }

        if (freed.Count == 0)
        {
            return 0;
        }

        // Compact from the lowest freed index: every later live buffer moves down once.
        var write = first;
        for (var read = first; read < _buffers.Count; read++)
        {
            if (_buffers[read].IsLive)
            {
                _buffers[write++] = _buffers[read];
            }
        }

        BookkeepingSteps += _buffers.Count - first;
        _buffers.RemoveRange(write, _buffers.Count - write);
        Version++;

        // Return the ranges to the free list, merging runs of adjacent buffers first.
        freed.Sort(static (a, b) => a.Offset.CompareTo(b.Offset));
        BookkeepingSteps += freed.Count;
        var (runOffset, runLength) = (freed[0].Offset, freed[0].ReservedBytes);
        for (var i = 1; i < freed.Count; i++)
        {
            if (runOffset + runLength == freed[i].Offset)
            {
                runLength += freed[i].ReservedBytes;
                continue;
            }

            InsertFree(runOffset, runLength);
            (runOffset, runLength) = (freed[i].Offset, freed[i].ReservedBytes);
        }

        InsertFree(runOffset, runLength);
        return freed.Count;
    }

    private void Released(SimBuffer buffer)
    {
        buffer.Release();
        UsedBytes -= buffer.ReservedBytes;
        _trace?.Instant(_loop?.NowNs ?? 0, "memory", "Free", _actor,
            ("address", Hex(buffer.Address)), ("bytes", Text(buffer.SizeBytes)), ("id", Text(buffer.Id)));
    }

    /// <summary>Resolves an address, interior pointers included, to a live buffer and an offset inside it.</summary>
    /// <param name="address">The address.</param>
    /// <param name="buffer">The buffer, when found.</param>
    /// <param name="offset">Offset of the address inside the buffer.</param>
    /// <returns>Whether a live buffer of this space contains the address.</returns>
    public bool TryResolve(ulong address, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SimBuffer? buffer, out long offset)
    {
        buffer = null;
        offset = 0;
        if (address < BaseAddress || address - BaseAddress >= (ulong)SimAddress.SpaceBytesMax)
        {
            return false;
        }

        var spaceOffset = (long)(address - BaseAddress);
        // The last buffer starting at or before the address is the only candidate.
        var i = LowerBound(spaceOffset + 1) - 1;
        if (i < 0 || spaceOffset - _buffers[i].Offset >= _buffers[i].SizeBytes)
        {
            return false;
        }

        buffer = _buffers[i];
        offset = spaceOffset - buffer.Offset;
        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {UsedBytes}/{CapacityBytes}B in {_buffers.Count} buffers";

    internal void ReleaseAll()
    {
        foreach (var buffer in _buffers)
        {
            buffer.Release();
        }

        _buffers.Clear();
        Version++;
    }

    private static string Hex(ulong value) => "0x" + value.ToString("x16", CultureInfo.InvariantCulture);

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    // First index whose buffer offset is >= offset.
    private int LowerBound(long offset)
    {
        int lo = 0, hi = _buffers.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_buffers[mid].Offset < offset)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private void InsertFree(long offset, long length)
    {
        // First free range at or after the offset (binary search: the list is sorted and disjoint).
        int i = 0, hi = _free.Count;
        while (i < hi)
        {
            var mid = (i + hi) >>> 1;
            if (_free[mid].Offset < offset)
            {
                i = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        BookkeepingSteps += _free.Count - i + 1;

        // Coalesce with the neighbours, so fragmentation only comes from live buffers.
        if (i > 0 && _free[i - 1].Offset + _free[i - 1].Length == offset)
        {
            i--;
            offset = _free[i].Offset;
            length += _free[i].Length;
            _free.RemoveAt(i);
        }

        if (i < _free.Count && offset + length == _free[i].Offset)
        {
            length += _free[i].Length;
            _free.RemoveAt(i);
        }

        _free.Insert(i, (offset, length));
    }

    private AllocationResult Traced(AllocationResult result, long sizeBytes, string? tag)
    {
        _trace?.Instant(_loop?.NowNs ?? 0, "memory", "Allocate", _actor,
            ("address", result.Buffer is { } b ? Hex(b.Address) : "-"), ("bytes", Text(sizeBytes)),
            ("status", result.Status.ToString()), ("tag", tag ?? "-"));
        return result;
    }
}
