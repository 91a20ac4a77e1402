using CommunityToolkit.HighPerformance.Buffers;

namespace LlmDataDist.Simulator;

/// <summary>
/// One allocated range of a <see cref="MemorySpace"/>: a stable address and, unless the space is metadata-only, real
/// bytes in a pooled array. In metadata-only mode <see cref="Span"/> is empty, reads return nothing and writes do
/// nothing, while sizes and addresses behave exactly as with bytes.
/// </summary>
public sealed class SimBuffer
{
    private MemoryOwner<byte>? _bytes;

    internal SimBuffer(MemorySpace space, long id, long offset, long sizeBytes, long reservedBytes, string? tag, MemoryOwner<byte>? bytes)
    {
        Space = space;
        Id = id;
        Offset = offset;
        SizeBytes = sizeBytes;
        ReservedBytes = reservedBytes;
        Tag = tag;
        _bytes = bytes;
        Address = space.BaseAddress + (ulong)offset;
        IsLive = true;
    }

    /// <summary>The space that owns the buffer.</summary>
    public MemorySpace Space { get; }

    /// <summary>Per-space allocation number, from 1.</summary>
    public long Id { get; }

    /// <summary>First address, aligned to <see cref="MemorySpace.AlignmentBytes"/>.</summary>
    public ulong Address { get; }

    /// <summary>Offset of the first byte inside the space.</summary>
    public long Offset { get; }

    /// <summary>Requested size; addresses in <c>[Address, Address + SizeBytes)</c> resolve to this buffer.</summary>
    public long SizeBytes { get; }

    /// <summary>Size taken from the space: <see cref="SizeBytes"/> rounded up to the alignment.</summary>
    public long ReservedBytes { get; }

    /// <summary>Free-form label from the allocation, for traces.</summary>
    public string? Tag { get; }

    /// <summary>False once freed.</summary>
    public bool IsLive { get; private set; }

    /// <summary>Whether the buffer holds bytes (live, and not metadata-only).</summary>
    public bool HasBytes => _bytes is not null;

    /// <summary>The bytes; empty in metadata-only mode or once freed.</summary>
    public Span<byte> Span => _bytes is { } bytes ? bytes.Span : [];

    /// <summary>A range of this buffer.</summary>
    /// <param name="offset">Offset from <see cref="Address"/>.</param>
    /// <param name="length">Length.</param>
    /// <returns>The range.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range leaves the buffer.</exception>
    public ResolvedRange Range(long offset, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (offset > SizeBytes - length)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"[{offset}, {offset + length}) leaves a {SizeBytes}-byte buffer");
        }

        return new ResolvedRange(this, offset, length);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Space.Name}#{Id} 0x{Address:x16} {SizeBytes}B{(Tag is null ? "" : " " + Tag)}";

    internal void Release()
    {
        IsLive = false;
        _bytes?.Dispose(); // back to the pool
        _bytes = null;
    }
}
