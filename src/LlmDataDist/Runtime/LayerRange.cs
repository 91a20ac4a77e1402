namespace LlmDataDist;

/// <summary>An inclusive range of layers, as <c>std::pair&lt;int32_t, int32_t&gt;</c> in the header.</summary>
/// <param name="First">The first layer, or -1.</param>
/// <param name="Last">The last layer (inclusive), or -1.</param>
/// <remarks>
/// A range whose <see cref="First"/> is -1 selects every layer. A pull uses ranges only when both the source and
/// the destination range are explicit; a push ignores the destination range when the source selects every layer.
/// </remarks>
public readonly record struct LayerRange(int First, int Last)
{
    /// <summary>(-1, -1): every layer.</summary>
    public static LayerRange All { get; } = new(-1, -1);

    /// <summary>One layer.</summary>
    /// <param name="layer">The layer index.</param>
    /// <returns>The range (layer, layer).</returns>
    public static LayerRange Single(int layer) => new(layer, layer);

    /// <summary>Whether the range selects every layer (its first layer is -1).</summary>
    public bool IsAll => First == -1;

    /// <summary>Layers in the range; 0 when it selects every layer. A long, so (0, int.MaxValue) does not overflow.</summary>
    public long Count => IsAll ? 0 : (long)Last - First + 1;

    /// <summary>Whether the library accepts the range: both ends at least -1 and first not after last.</summary>
    public bool IsWellFormed => First >= -1 && Last >= -1 && First <= Last;

    /// <summary>Shows the range as the header writes it.</summary>
    /// <returns>For example <c>(0, 3)</c>.</returns>
    public override string ToString() => $"({First}, {Last})";
}
