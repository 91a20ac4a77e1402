namespace LlmDataDist.Simulator.Semantics;

/// <summary>
/// Which tensors a pull or push moves (reference §4.3, §9.10). Layer L is tensors [L·N, L·N + N); ranges are
/// inclusive. The rules follow the code where the docs differ (a range with first = -1 means "all"; a pull uses
/// ranges only when both sides give one).
/// </summary>
public static class LayerSelection
{
    /// <summary>The parameter check both engines run first: ends ≥ -1, first ≤ last, N &gt; 0; for a push, equal lengths.</summary>
    /// <param name="ext">The layer selection.</param>
    /// <param name="push">Whether the call is a push.</param>
    /// <returns>Whether the library accepts it.</returns>
    public static bool IsValid(KvCacheExtParam ext, bool push)
    {
        ArgumentNullException.ThrowIfNull(ext);
        var ok = ext.SrcLayerRange.IsWellFormed && ext.DstLayerRange.IsWellFormed && ext.TensorNumPerLayer > 0;
        if (push)
        {
            ok &= ext.SrcLayerRange.Last - ext.SrcLayerRange.First == ext.DstLayerRange.Last - ext.DstLayerRange.First;
        }

        return ok;
    }

    /// <summary>A pull uses ranges only when both start at a real layer; otherwise every tensor pairs with its namesake.</summary>
    /// <param name="ext">The layer selection.</param>
    /// <returns>Whether the ranges apply.</returns>
    public static bool PullUsesRanges(KvCacheExtParam ext) => ext.SrcLayerRange.First >= 0 && ext.DstLayerRange.First >= 0;

    /// <summary>The tensor indices of an inclusive layer range: [first·N, (last+1)·N).</summary>
    /// <param name="range">The range.</param>
    /// <param name="tensorsPerLayer">N.</param>
    /// <returns>The first index and the count.</returns>
    public static (long First, long Count) Tensors(LayerRange range, int tensorsPerLayer) =>
        ((long)range.First * tensorsPerLayer, ((long)range.Last - range.First + 1) * tensorsPerLayer);

    /// <summary>Pairs the tensors of a pull; null when the selected counts differ or fall outside either cache.</summary>
    /// <param name="ext">The layer selection.</param>
    /// <param name="sourceTensors">Tensors of the source cache.</param>
    /// <param name="destinationTensors">Tensors of the destination cache.</param>
    /// <returns>The pairs in order, or null (PARAM_INVALID).</returns>
    public static IReadOnlyList<TensorPair>? PullPairs(KvCacheExtParam ext, uint sourceTensors, uint destinationTensors)
    {
        ArgumentNullException.ThrowIfNull(ext);
        if (!PullUsesRanges(ext))
        {
            return sourceTensors == destinationTensors ? Identity(sourceTensors) : null;
        }

        var (srcFirst, srcCount) = Tensors(ext.SrcLayerRange, ext.TensorNumPerLayer);
        var (dstFirst, dstCount) = Tensors(ext.DstLayerRange, ext.TensorNumPerLayer);
        if (srcCount != dstCount || srcFirst + srcCount > sourceTensors || dstFirst + dstCount > destinationTensors)
        {
            return null;
        }

        var pairs = new TensorPair[srcCount];
        for (var i = 0; i < srcCount; i++)
        {
            pairs[i] = new TensorPair((int)(srcFirst + i), (int)(dstFirst + i));
        }

        return pairs;
    }

    /// <summary>
    /// The layer pairs of a push, in order: every layer 0..Lmax of the source (Lmax from the caller's
    /// <c>num_tensors</c>) when the source range is "all", else source layers first..last to destination layers
    /// from the destination's first. A destination range of -1 with an explicit source makes the destination layer
    /// huge in the engine, which then fails its bound check: returned here as layer <see cref="int.MaxValue"/>.
    /// </summary>
    /// <param name="ext">The layer selection.</param>
    /// <param name="callerNumTensors">The caller's src_cache.cache_desc.num_tensors.</param>
    /// <returns>(source layer, destination layer) pairs.</returns>
    public static IReadOnlyList<(long Source, long Destination)> PushLayers(KvCacheExtParam ext, uint callerNumTensors)
    {
        ArgumentNullException.ThrowIfNull(ext);
        var layers = new List<(long, long)>();
        if (ext.SrcLayerRange.IsAll)
        {
            var n = (long)ext.TensorNumPerLayer;
            // Lmax = num_tensors / N - 1 when divisible, num_tensors / N when not (§9.10), so one more layer; fewer than N: layer 0.
            var count = callerNumTensors % n == 0 ? callerNumTensors / n : (callerNumTensors / n) + 1;
            for (long layer = 0; layer < count; layer++)
            {
                layers.Add((layer, layer));
            }

            return layers;
        }

        for (long layer = ext.SrcLayerRange.First; layer <= ext.SrcLayerRange.Last; layer++)
        {
            var destination = ext.DstLayerRange.First < 0 ? int.MaxValue : ext.DstLayerRange.First + (layer - ext.SrcLayerRange.First);
            layers.Add((layer, destination));
        }

        return layers;
    }

    // Every pull without layer ranges asks for the identity pairing of its tensor count: built once per count, and
    // immutable, since callers share it.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<uint, IReadOnlyList<TensorPair>> Identities = new();

    private static IReadOnlyList<TensorPair> Identity(uint count) => Identities.GetOrAdd(count, static n =>
    {
        var pairs = new TensorPair[n];
        for (var i = 0; i < n; i++)
        {
            pairs[i] = new TensorPair(i, i);
        }

        return System.Collections.Immutable.ImmutableArray.Create(pairs);
    });
}
