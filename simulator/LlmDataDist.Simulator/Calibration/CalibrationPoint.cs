namespace LlmDataDist.Simulator;

/// <summary>One measured point: <paramref name="TotalBytes"/> moved in blocks of <paramref name="BlockBytes"/> over one
/// path, at an effective <paramref name="GBps"/> (10^9 bytes per second: total bytes over the whole duration).</summary>
/// <param name="Key">Platform, transport, one or two servers, path and direction.</param>
/// <param name="BlockBytes">Bytes per block (descriptor).</param>
/// <param name="TotalBytes">Bytes moved; a whole number of blocks.</param>
/// <param name="GBps">Measured effective bandwidth, 10^9 B/s.</param>
/// <param name="Line">The line of the CSV it came from (1-based, the header is line 1), or 0 when made in code.</param>
public sealed record CalibrationPoint(PathKey Key, long BlockBytes, long TotalBytes, double GBps, int Line = 0)
{
    /// <summary>Blocks moved: total bytes over block bytes.</summary>
    public long Blocks => TotalBytes / BlockBytes;

    /// <summary>The measured duration in ns (1 GB/s is 1 byte per ns).</summary>
    public double DurationNs => TotalBytes / GBps;
}
