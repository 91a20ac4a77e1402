namespace LlmDataDist.Simulator.Semantics;

/// <summary>
/// The byte layout of a cache (reference §4.2): every tensor is one buffer of <see cref="TensorBytes"/> bytes whose
/// row <c>r</c> occupies <c>[r × Stride, (r + 1) × Stride)</c>. Rows are batches of a contiguous cache or blocks of a
/// paged one: the same thing.
/// </summary>
/// <param name="NumTensors">Tensors in the cache.</param>
/// <param name="TensorBytes">Bytes of one tensor.</param>
/// <param name="Rows">shape[0]: batches or blocks (1 for a scalar shape).</param>
/// <param name="Stride">Bytes of one row: TensorBytes / Rows, integer division as the library does.</param>
public readonly record struct CacheGeometry(uint NumTensors, long TensorBytes, long Rows, long Stride)
{
    /// <summary>Shape rank must be below this for CE AllocateCache and HX RegisterKvCache.</summary>
    public const int RankLimit = 32;

    /// <summary>Sizes a cache description, or fails with the status the library gives.</summary>
    /// <param name="desc">The description.</param>
    /// <param name="sizing">Which size table applies.</param>
    /// <param name="checkRank">Whether rank 1..31 is required (CE Copy accepts an empty shape as a scalar).</param>
    /// <param name="geometry">The layout, on success.</param>
    /// <returns><see cref="LlmStatus.Success"/> or <see cref="LlmStatus.ParamInvalid"/>.</returns>
    public static LlmStatus TryCreate(CacheDesc desc, Sizing sizing, bool checkRank, out CacheGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(desc);
        geometry = default;
        if (checkRank && (desc.Shape.Count == 0 || desc.Shape.Count >= RankLimit))
        {
            return LlmStatus.ParamInvalid;
        }

        var bits = desc.DataType.GetElementBits();
        if (bits == 0 || (sizing == Sizing.Device && !desc.DataType.IsDeviceAllocatable()))
        {
            return LlmStatus.ParamInvalid;
        }

        long elements = 1;
        foreach (var dim in desc.Shape)
        {
            if (dim <= 0)
            {
                return LlmStatus.ParamInvalid;
            }

            // The product must not overflow int64, and neither may the bit count behind it.
            if (elements > long.MaxValue / dim)
            {
                return LlmStatus.ParamInvalid;
            }

            elements *= dim;
        }

        if (elements > long.MaxValue / bits)
        {
            return LlmStatus.ParamInvalid;
        }

        // Computed in 64 bits throughout (the host's 32-bit helper for bit types is a documented quirk we do not copy).
        var tensorBytes = bits % 8 == 0 ? elements * (bits / 8) : ((elements * bits) + 7) / 8;
        var rows = desc.Shape.Count == 0 ? 1 : desc.Shape[0];
        geometry = new CacheGeometry(desc.NumTensors, tensorBytes, rows, tensorBytes / rows);
        return LlmStatus.Success;
    }

    /// <summary>Layers of the cache with N tensors per layer: floor(NumTensors / N).</summary>
    /// <param name="tensorsPerLayer">N.</param>
    /// <returns>The layer count.</returns>
    public long Layers(int tensorsPerLayer) => NumTensors / (uint)tensorsPerLayer;
}
