namespace LlmDataDist.Simulator.Scenarios;

/// <summary>The outcome of a scenario run.</summary>
/// <param name="Spec">What ran.</param>
/// <param name="Requests">Every request, in arrival order.</param>
/// <param name="VirtualNs">Virtual time at the end of the run.</param>
/// <param name="TraceHash">The trace's 64-bit hash (hex): equal for equal seeds and specs.</param>
/// <param name="TraceEvents">Events in the trace.</param>
/// <param name="Relinks">Links rebuilt after a broken transfer.</param>
/// <param name="Faults">The fault plan, printed for replay.</param>
public sealed record ScenarioResult(ScenarioSpec Spec, IReadOnlyList<RequestRecord> Requests, long VirtualNs, string TraceHash, long TraceEvents, int Relinks, string Faults)
{
    /// <summary>Requests that arrived (kept in <see cref="Requests"/> or not).</summary>
    public long RequestCount { get; init; }

    /// <summary>Pulls retried after their link was rebuilt.</summary>
    public int Retries { get; init; }

    /// <summary>Times a link went down (fault plan or by hand).</summary>
    public int LinkDowns { get; init; }

    /// <summary>When arrivals were accepted, in virtual ns: from the end of set-up for the spec's duration.</summary>
    public (long StartNs, long EndNs) ArrivalWindowNs { get; init; }

    /// <summary>Decoder blocks kept out of the pool after a pull timed out, until its link was torn down (a block counts
    /// once per timeout).</summary>
    public long BlocksQuarantined { get; init; }

    /// <summary>Most decoder blocks in quarantine at one time.</summary>
    public long QuarantinePeakBlocks { get; init; }

    /// <summary>Block-nanoseconds spent in quarantine: the capacity it cost.</summary>
    public long QuarantineBlockNs { get; init; }

    /// <summary>Blocks still waiting for a teardown when the run ended.</summary>
    public long QuarantinedAtEnd { get; init; }

    /// <summary>Requests whose KV reached a decoder.</summary>
    public int Succeeded => Requests.Count(r => r.Succeeded);

    /// <summary>Bytes pulled successfully.</summary>
    public long BytesMoved => Requests.Where(r => r.Succeeded).Sum(r => r.Bytes);

    /// <summary>Requests whose bytes were compared (real-bytes runs) and matched.</summary>
    public int Verified => Requests.Count(r => r.Verified == true);

    /// <summary>Requests whose bytes were compared and did not match: must be zero.</summary>
    public int Corrupted => Requests.Count(r => r.Verified == false);

    /// <summary>Outcome counts, most frequent first.</summary>
    public IReadOnlyList<(string Outcome, int Count)> Outcomes =>
        [.. Requests.GroupBy(r => r.Outcome).Select(g => (g.Key, g.Count())).OrderByDescending(x => x.Item2).ThenBy(x => x.Key, StringComparer.Ordinal)];

    /// <summary>A percentile of the successful pulls' durations, in ns (nearest rank).</summary>
    /// <param name="percent">0..100.</param>
    /// <returns>The duration, or 0 when no pull succeeded.</returns>
    public long PullPercentileNs(double percent) => Percentile(Requests.Where(r => r.Succeeded).Select(r => r.PullNs), percent);

    /// <summary>A percentile of arrival-to-KV-ready times, in ns.</summary>
    /// <param name="percent">0..100.</param>
    /// <returns>The duration, or 0 when no request succeeded.</returns>
    public long ReadyPercentileNs(double percent) => Percentile(Requests.Where(r => r.Succeeded).Select(r => r.ReadyNs), percent);

    private static long Percentile(IEnumerable<long> values, double percent)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return 0;
        }

        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
