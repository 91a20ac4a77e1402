namespace LlmDataDist.Simulator;

/// <summary>A byte range inside one live buffer, as an address resolves to it.</summary>
/// <param name="Buffer">The buffer.</param>
/// <param name="Offset">Offset from the buffer's first address.</param>
/// <param name="Length">Length in bytes.</param>
public readonly record struct ResolvedRange(SimBuffer Buffer, long Offset, long Length)
{
    /// <summary>The first address of the range.</summary>
    public ulong Address => Buffer.Address + (ulong)Offset;

    /// <summary>The bytes; empty in metadata-only mode. Ranges over 2 GiB cannot be viewed as one span.</summary>
    public Span<byte> Span => Buffer.HasBytes ? Buffer.Span.Slice(checked((int)Offset), checked((int)Length)) : [];

    /// <summary>Copies this range over <paramref name="destination"/> (same length) as fast as <c>Span.CopyTo</c>;
    /// overlapping ranges of one buffer copy as if through a temporary. Nothing happens when either side holds no bytes.</summary>
    /// <param name="destination">Where to copy.</param>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public void CopyTo(ResolvedRange destination)
    {
        if (destination.Length != Length)
        {
            throw new ArgumentException($"copy of {Length} bytes into a {destination.Length}-byte range", nameof(destination));
        }

        if (Buffer.HasBytes && destination.Buffer.HasBytes)
        {
            Span.CopyTo(destination.Span);
        }
    }

    /// <summary>Reads up to <paramref name="destination"/>'s length from the start of the range.</summary>
    /// <param name="destination">Where to put the bytes.</param>
    /// <returns>Bytes read: 0 in metadata-only mode.</returns>
    public int Read(Span<byte> destination)
    {
        var source = Span;
        var count = Math.Min(source.Length, destination.Length);
        source[..count].CopyTo(destination);
        return count;
    }

    /// <summary>Writes <paramref name="source"/> at the start of the range; a no-op in metadata-only mode.</summary>
    /// <param name="source">The bytes, at most <see cref="Length"/>.</param>
    /// <exception cref="ArgumentException">More bytes than the range holds.</exception>
    public void Write(ReadOnlySpan<byte> source)
    {
        if (source.Length > Length)
        {
            throw new ArgumentException($"{source.Length} bytes do not fit a {Length}-byte range", nameof(source));
        }

        if (Buffer.HasBytes)
        {
            source.CopyTo(Span);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"0x{Address:x16}+{Length} in {Buffer}";
}
