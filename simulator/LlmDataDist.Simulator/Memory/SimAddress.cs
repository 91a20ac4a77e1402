namespace LlmDataDist.Simulator;

/// <summary>
/// Layout of simulated 64-bit addresses: bits 60..63 the space kind (1 device, 2 host), bits 44..59 the NPU id or
/// server index, bits 0..43 the offset (16 TiB per space). Every address therefore names its space, and an address
/// from one device can never be mistaken for one of another.
/// </summary>
public static class SimAddress
{
    /// <summary>Bits of offset inside one space.</summary>
    public const int OffsetBits = 44;

    /// <summary>Largest capacity of one space.</summary>
    public const long SpaceBytesMax = 1L << OffsetBits;

    /// <summary>Largest NPU id or server index an address can name.</summary>
    public const int IndexMax = (1 << 16) - 1;

    /// <summary>The first address of a space.</summary>
    /// <param name="kind">Device or host.</param>
    /// <param name="index">NPU id or server index.</param>
    /// <returns>The base address.</returns>
    public static ulong Base(MemorySpaceKind kind, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, IndexMax);
        return ((ulong)kind << 60) | ((ulong)index << OffsetBits);
    }

    /// <summary>Splits an address into space and offset.</summary>
    /// <param name="address">The address.</param>
    /// <param name="kind">Device or host.</param>
    /// <param name="index">NPU id or server index.</param>
    /// <param name="offset">Offset inside the space.</param>
    /// <returns>False when the kind bits name no space.</returns>
    public static bool TryDecode(ulong address, out MemorySpaceKind kind, out int index, out long offset)
    {
        kind = (MemorySpaceKind)(address >> 60);
        index = (int)((address >> OffsetBits) & IndexMax);
        offset = (long)(address & (SpaceBytesMax - 1));
        return kind is MemorySpaceKind.Device or MemorySpaceKind.Host;
    }
}
