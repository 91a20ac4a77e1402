namespace LlmDataDist.Simulator.Cli;

/// <summary>
/// A streaming histogram of non-negative integers (ns) in the HDR style: 64 linear sub-buckets per power of two, so
/// any recorded value is known within 1/64 (1.6 %) whatever its magnitude, in a fixed 32 KiB whatever the count.
/// Percentiles and the CDF come from the buckets; min, max, count and sum are exact.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBits = 6;
    private const int SubCount = 1 << SubBits;
    private readonly long[] _counts = new long[(64 - SubBits + 1) * SubCount];

    public long Count { get; private set; }

    public long Min { get; private set; } = long.MaxValue;

    public long Max { get; private set; }

    public double Sum { get; private set; }

    public double Mean => Count == 0 ? 0 : Sum / Count;

    public void Record(long value)
    {
        value = Math.Max(0, value);
        _counts[IndexOf(value)]++;
        Count++;
        Sum += value;
        Min = Math.Min(Min, value);
        Max = Math.Max(Max, value);
    }

    /// <summary>The value at a percentile (nearest rank): the middle of its bucket, clamped to the exact min and max.</summary>
    public long Percentile(double percent)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(percent / 100 * Count));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Clamp(Middle(i), Min, Max);
            }
        }

        return Max;
    }

    /// <summary>Non-empty buckets as (upper value, count), in increasing order.</summary>
    public IEnumerable<(long UpperValue, long Count)> Buckets()
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            if (_counts[i] > 0)
            {
                yield return (Math.Min(Upper(i), Max), _counts[i]);
            }
        }
    }

    /// <summary>The CDF as (value, fraction of values at or below it), one point per non-empty bucket.</summary>
    public IReadOnlyList<(long Value, double Fraction)> Cdf()
    {
        var points = new List<(long, double)>();
        long seen = 0;
        foreach (var (upper, count) in Buckets())
        {
            seen += count;
            points.Add((upper, (double)seen / Count));
        }

        return points;
    }

    // Values below 2*SubCount have buckets of width 1; above, value >> shift keeps the SubBits+1 top bits (SubCount..2*SubCount-1).
    private static int IndexOf(long value)
    {
        if (value < 2 * SubCount)
        {
            return (int)value;
        }

        var shift = 63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)value) - SubBits;
        return (shift * SubCount) + (int)(value >> shift);
    }

    private static (long Low, long Width) Range(int index)
    {
        if (index < 2 * SubCount)
        {
            return (index, 1);
        }

        var shift = (index / SubCount) - 1;
        var top = index - (shift * SubCount);
        return ((long)top << shift, 1L << shift);
    }

    private static long Middle(int index)
    {
        var (low, width) = Range(index);
        return low + ((width - 1) / 2);
    }

    private static long Upper(int index)
    {
        var (low, width) = Range(index);
        return low + width - 1;
    }
}
