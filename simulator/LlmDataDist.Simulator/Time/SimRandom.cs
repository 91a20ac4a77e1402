using System.Numerics;

namespace LlmDataDist.Simulator;

/// <summary>
/// The simulator's only source of chance: SplitMix64, seeded. A class, not a struct, because copying a struct PRNG
/// silently duplicates its stream. Fork one sub-stream per consumer, in a fixed order, so that what one consumer
/// draws never shifts what another sees.
/// </summary>
/// <param name="seed">The seed; equal seeds give equal streams on every runtime and CPU.</param>
public sealed class SimRandom(ulong seed)
{
    private const ulong Gamma = 0x9E3779B97F4A7C15;

    // ln(2) in Q32 fixed point, for integer-only exponential samples.
    private const ulong Ln2Q32 = 2_977_044_472;

    private ulong _state = seed;

    /// <summary>The next 64 uniformly distributed bits.</summary>
    /// <returns>A uniform 64-bit value.</returns>
    public ulong Next()
    {
        // SplitMix64: tiny, fast, and specified bit for bit, unlike System.Random whose algorithm may change.
        var z = _state += Gamma;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform value in <c>[0, bound)</c> without modulo bias (Lemire's multiply-and-reject).</summary>
    /// <param name="bound">Exclusive upper bound; must be positive.</param>
    /// <returns>A uniform value below <paramref name="bound"/>.</returns>
    public ulong Below(ulong bound)
    {
        ArgumentOutOfRangeException.ThrowIfZero(bound);
        var high = Math.BigMul(Next(), bound, out var low);
        if (low < bound)
        {
            // Reject the few low products that would over-represent small results; expected retries < 1.
            var threshold = (0 - bound) % bound;
            while (low < threshold)
            {
                high = Math.BigMul(Next(), bound, out low);
            }
        }

        return high;
    }

    /// <summary>A uniform value in <c>[minInclusive, maxExclusive)</c>.</summary>
    /// <param name="minInclusive">Inclusive lower bound.</param>
    /// <param name="maxExclusive">Exclusive upper bound; greater than <paramref name="minInclusive"/>.</param>
    /// <returns>A uniform value in the range.</returns>
    public long NextInt64(long minInclusive, long maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxExclusive, minInclusive);
        return minInclusive + (long)Below((ulong)(maxExclusive - minInclusive));
    }

    /// <summary>True with probability <paramref name="ratio"/>. Always draws exactly one value, so stream positions do
    /// not depend on the ratio (a plan with and without a fault then sees the same later draws).</summary>
    /// <param name="ratio">The probability; a ratio of one or more is always true.</param>
    /// <returns>Whether the event happens.</returns>
    public bool Chance(Ratio ratio)
    {
        ratio.Validate();
        return Below(ratio.Den) < ratio.Num;
    }

    /// <summary>A uniform duration in <c>[minNs, maxNs]</c>.</summary>
    /// <param name="minNs">Shortest duration.</param>
    /// <param name="maxNs">Longest duration, at least <paramref name="minNs"/>.</param>
    /// <returns>A duration in nanoseconds.</returns>
    public long UniformNs(long minNs, long maxNs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNs, minNs);
        return minNs + (long)Below((ulong)(maxNs - minNs) + 1);
    }

    /// <summary>An exponentially distributed duration with the given mean, computed with integers only
    /// (<c>-mean * ln U</c> through a fixed-point log2), so it is identical on every CPU.</summary>
    /// <param name="meanNs">The mean; zero gives zero.</param>
    /// <returns>A duration in nanoseconds; at most about 37 times the mean.</returns>
    public long ExponentialNs(long meanNs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(meanNs);
        if (meanNs == 0)
        {
            return 0;
        }

        // U = v / 2^53 with v in [1, 2^53]; -ln U = (53 - log2 v) * ln 2.
        var v = (Next() >> 11) + 1;
        var minusLog2Q32 = (53UL << 32) - Log2Q32(v);
        var minusLnQ32 = (UInt128)minusLog2Q32 * Ln2Q32 >> 32;
        var sample = (UInt128)(ulong)meanNs * minusLnQ32 >> 32;
        return sample > long.MaxValue ? long.MaxValue : (long)sample;
    }

    /// <summary>An independent sub-stream. Fork in a fixed order, or streams shift between runs.</summary>
    /// <returns>A new generator seeded from this one.</returns>
    public SimRandom Fork() => new(Next());

    // log2(v) in Q32 fixed point for v >= 1: integer part from the bit length, 32 fraction bits by repeated squaring.
    private static ulong Log2Q32(ulong v)
    {
        var integerPart = 63 - BitOperations.LeadingZeroCount(v);
        // Mantissa in [1, 2) as Q62.
        var m = integerPart <= 62 ? v << (62 - integerPart) : v >> (integerPart - 62);
        ulong fraction = 0;
        for (var bit = 31; bit >= 0; bit--)
        {
            m = (ulong)((UInt128)m * m >> 62);
            if (m >= 1UL << 63)
            {
                m >>= 1;
                fraction |= 1UL << bit;
            }
        }

        return ((ulong)integerPart << 32) | fraction;
    }
}
