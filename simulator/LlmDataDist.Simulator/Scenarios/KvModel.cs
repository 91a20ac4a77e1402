namespace LlmDataDist.Simulator.Scenarios;

/// <summary>
/// The KV-cache layout of a model, as a paged cache: K and V of every layer are tensors of
/// [blocks, BlockTokens × BytesPerTokenPerTensor] bytes.
/// </summary>
/// <param name="Name">Preset name.</param>
/// <param name="Layers">Transformer layers (each has a K and a V tensor).</param>
/// <param name="BytesPerTokenPerTensor">Bytes one token adds to one K (or V) tensor.</param>
/// <param name="BlockTokens">Tokens per block.</param>
public sealed record KvModel(string Name, int Layers, int BytesPerTokenPerTensor, int BlockTokens)
{
    /// <summary>A dense 8B-class model in FP16: 8 KV heads × 128 dims × 2 bytes = 2 KiB per token per tensor, 32 layers, 128-token blocks (hardware-model.md, arithmetic from the public config).</summary>
    public static KvModel Dense8B { get; } = new("dense-8b", 32, 2048, 128);

    /// <summary>DeepSeek-R1 with MLA: 61 layers × (16 KiB rope + 128 KiB latent) per 128-token block (hardware-model.md),
    /// as two equal tensors per layer of the same total, 72 KiB per block each.</summary>
    public static KvModel DeepSeekR1Mla { get; } = new("deepseek-r1-mla", 61, 576, 128);

    /// <summary>GLM-5: 78 layers × (16 + 128 + 32 KiB) per 128-token block (hardware-model.md), as two equal tensors per
    /// layer of the same total, 88 KiB per block each.</summary>
    public static KvModel Glm5 { get; } = new("glm-5", 78, 704, 128);

    /// <summary>A toy model whose caches are small enough to move real bytes and verify them in every request.</summary>
    public static KvModel Tiny { get; } = new("tiny", 2, 64, 16);

    /// <summary>The presets by name.</summary>
    public static IReadOnlyList<KvModel> Presets { get; } = [Dense8B, DeepSeekR1Mla, Glm5, Tiny];

    /// <summary>Tensors per cache: K and V per layer.</summary>
    public int Tensors => Layers * TensorsPerLayer;

    /// <summary>Tensors of one layer (K and V): the KvCacheExtParam tensor count per layer.</summary>
    public const byte TensorsPerLayer = 2;

    /// <summary>Bytes of one block of one tensor.</summary>
    public long BlockBytes => (long)BlockTokens * BytesPerTokenPerTensor;

    /// <summary>Blocks a prompt of this many tokens needs.</summary>
    /// <param name="tokens">Prompt tokens.</param>
    /// <returns>The block count.</returns>
    public int BlocksFor(int tokens) => (tokens + BlockTokens - 1) / BlockTokens;

    /// <summary>The paged cache description of a pool of blocks: int8 so that one element is one byte.</summary>
    /// <param name="blocks">Blocks in the pool.</param>
    /// <returns>The description.</returns>
    public CacheDesc PoolDesc(int blocks) => PoolDesc(blocks, 1);

    /// <summary>The cache description of a pool of rows of <paramref name="blocksPerRow"/> blocks each (one row per
    /// request in the whole-cache modes): the same bytes per block, addressed by row.</summary>
    /// <param name="rows">Rows in the pool.</param>
    /// <param name="blocksPerRow">Blocks in one row.</param>
    /// <returns>The description.</returns>
    public CacheDesc PoolDesc(int rows, int blocksPerRow) =>
        new() { NumTensors = (uint)Tensors, DataType = DataType.Int8, Shape = [rows, BlockBytes * blocksPerRow] };
}
