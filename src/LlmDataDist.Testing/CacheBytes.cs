using LlmDataDist.Simulator;

namespace LlmDataDist.Testing;

/// <summary>
/// The test's view of cache memory in a simulated world: fill a cache with a pattern, read it back, and compute what a
/// destination must hold after rows were copied onto it. Rows follow the reference's data model (§4.2): row r of a
/// tensor is bytes <c>[r × stride, (r+1) × stride)</c> of that tensor's buffer.
/// </summary>
public static class CacheBytes
{
    /// <summary>Writes a pattern that differs per <paramref name="pattern"/>, tensor and byte into every tensor.</summary>
    /// <param name="world">The world.</param>
    /// <param name="cache">The cache (its tensor addresses and descriptor).</param>
    /// <param name="pattern">Selects the pattern; two patterns differ at every byte.</param>
    /// <exception cref="InvalidOperationException">A tensor's memory is gone.</exception>
    public static void Fill(SimulatedWorld world, Cache cache, byte pattern)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(cache);
        var bytes = LlmArbitraries.TensorBytes(cache.CacheDesc);
        var data = new byte[bytes];
        for (var t = 0; t < cache.TensorAddrs.Count; t++)
        {
            for (var i = 0; i < data.Length; i++)
            {
                data[i] = unchecked((byte)((i * 31) + (t * 7) + (pattern * 101) + 1));
            }

            if (!world.Memory.TryResolve(cache.TensorAddrs[t], bytes, out var range))
            {
                throw new InvalidOperationException($"tensor {t} of cache {cache.CacheId} at 0x{cache.TensorAddrs[t]:x}: no memory");
            }

            range.Write(data);
        }
    }

    /// <summary>Every tensor's bytes, or null when some tensor's memory is gone (its owner crashed or freed it).</summary>
    /// <param name="world">The world.</param>
    /// <param name="cache">The cache.</param>
    /// <returns>One array per tensor, or null.</returns>
    public static byte[][]? TryRead(SimulatedWorld world, Cache cache)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(cache);
        var bytes = LlmArbitraries.TensorBytes(cache.CacheDesc);
        var tensors = new byte[cache.TensorAddrs.Count][];
        for (var t = 0; t < tensors.Length; t++)
        {
            if (!world.Memory.TryResolve(cache.TensorAddrs[t], bytes, out var range))
            {
                return null;
            }

            tensors[t] = new byte[bytes];
            range.Read(tensors[t]);
        }

        return tensors;
    }

    /// <summary>What the destination must hold after rows of the source were copied onto it, in the tensors paired by
    /// <paramref name="tensorPairs"/> (all tensors i → i when null): its own bytes with exactly those rows replaced.</summary>
    /// <param name="source">The source's tensors before the copy.</param>
    /// <param name="before">The destination's tensors before the copy.</param>
    /// <param name="rowBytes">Bytes per row (the same on both sides).</param>
    /// <param name="rows">(source row, destination row) pairs, applied in order.</param>
    /// <param name="tensorPairs">(source tensor, destination tensor) pairs; every tensor to itself when null.</param>
    /// <returns>The expected destination.</returns>
    public static byte[][] Expected(byte[][] source, byte[][] before, long rowBytes, IReadOnlyList<(long From, long To)> rows,
        IReadOnlyList<(int From, int To)>? tensorPairs = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(rows);
        var expected = before.Select(b => (byte[])b.Clone()).ToArray();
        tensorPairs ??= [.. Enumerable.Range(0, Math.Min(source.Length, before.Length)).Select(i => (i, i))];
        foreach (var (from, to) in tensorPairs)
        {
            foreach (var (fromRow, toRow) in rows)
            {
                Array.Copy(source[from], fromRow * rowBytes, expected[to], toRow * rowBytes, rowBytes);
            }
        }

        return expected;
    }

    /// <summary>Tensor pairs a layer selection moves (reference §9.10): every tensor i → i for "all", else the tensors of
    /// the source layers onto those of the destination layers, in order.</summary>
    /// <param name="extParam">The selection (well formed, within the caches).</param>
    /// <param name="numTensors">Tensors of both caches.</param>
    /// <param name="push">Whether it is a push (a push ignores the destination range when the source is "all").</param>
    /// <returns>(source tensor, destination tensor) pairs.</returns>
    public static IReadOnlyList<(int From, int To)> TensorPairs(KvCacheExtParam extParam, uint numTensors, bool push)
    {
        ArgumentNullException.ThrowIfNull(extParam);
        var n = extParam.TensorNumPerLayer;
        var (src, dst) = (extParam.SrcLayerRange, extParam.DstLayerRange);
        var all = push ? src.IsAll : src.IsAll || dst.IsAll;
        if (all)
        {
            return [.. Enumerable.Range(0, (int)numTensors).Select(i => (i, i))];
        }

        var count = (int)((src.Last - src.First + 1) * n);
        return [.. Enumerable.Range(0, count).Select(i => ((src.First * n) + i, (dst.First * n) + i))];
    }

    /// <summary>The first differing (tensor, byte), or null when equal.</summary>
    /// <param name="expected">Expected tensors.</param>
    /// <param name="actual">Actual tensors.</param>
    /// <returns>Where they first differ.</returns>
    public static (int Tensor, long Byte)? FirstDifference(byte[][] expected, byte[][] actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        if (expected.Length != actual.Length)
        {
            return (Math.Min(expected.Length, actual.Length), 0);
        }

        for (var t = 0; t < expected.Length; t++)
        {
            var i = expected[t].AsSpan().CommonPrefixLength(actual[t]);
            if (i < expected[t].Length || expected[t].Length != actual[t].Length)
            {
                return (t, i);
            }
        }

        return null;
    }
}
