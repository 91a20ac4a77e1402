using System.Globalization;
using LlmDataDist.Simulator.Scenarios;

namespace LlmDataDist.Simulator.Cli;

/// <summary>
/// Everything the summary, the plots and summary.json need, kept as streams while the scenario runs: histograms,
/// counters and fixed-width time buckets. Memory does not grow with the request count (only with virtual time, one
/// bucket per <see cref="BucketNs"/>). With a <paramref name="transfers"/> writer, one CSV row per request goes to disk.
/// </summary>
internal sealed class RunStats(long bucketNs, TextWriter? transfers) : ScenarioObserver
{
    public const string TransfersHeader = "id,prompt,decoder,link_class,prompt_tokens,blocks,bytes,arrival_ns,pull_start_ns,pull_end_ns,pull_ns,ready_ns,attempts,outcome,verified,exposed_ns";

    private readonly SortedDictionary<string, long> _outcomes = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, LinkClassStats> _classes = new(StringComparer.Ordinal);
    private readonly List<Bucket> _buckets = [];
    private bool _headerWritten;
    private int _pullsNow;
    private long _promptNow;
    private long _decoderNow;

    public long BucketNs { get; } = Math.Max(1, bucketNs);

    public LatencyHistogram Pull { get; } = new();

    public LatencyHistogram Ready { get; } = new();

    /// <summary>KV on the decoder minus prefill end: the transfer time on the time-to-first-token path.</summary>
    public LatencyHistogram Exposed { get; } = new();

    /// <summary>Arrival to the end of the decoder's first step (KV ready plus one decode step).</summary>
    public LatencyHistogram FirstDecodeStep { get; } = new();

    /// <summary>One decode step (the scenario's time per output token).</summary>
    public long DecodeStepNs { get; init; }

    public long Requests { get; private set; }

    public long Delivered { get; private set; }

    public long BytesMoved { get; private set; }

    public long Verified { get; private set; }

    public long Corrupted { get; private set; }

    public long RetriedRequests { get; private set; }

    public int PeakPullsInFlight { get; private set; }

    public long PeakPromptBlocks { get; private set; }

    public long PeakDecoderBlocks { get; private set; }

    public long LinkDownEvents { get; private set; }

    public long FirstArrivalNs { get; private set; } = long.MaxValue;

    public long LastPullEndNs { get; private set; }

    public IReadOnlyDictionary<string, long> Outcomes => _outcomes;

    public IReadOnlyDictionary<string, LinkClassStats> LinkClasses => _classes;

    public IReadOnlyList<Bucket> Buckets => _buckets;

    public sealed class LinkClassStats
    {
        public long Pulls { get; set; }

        public long Bytes { get; set; }

        public long PullNsSum { get; set; }
    }

    /// <summary>One time bucket: bytes delivered per link class (spread over each pull), peaks of pulls in flight and pool use.</summary>
    public sealed class Bucket
    {
        public SortedDictionary<string, double> Bytes { get; } = new(StringComparer.Ordinal);

        public int PullsInFlightMax { get; set; }

        public long PromptBlocksMax { get; set; }

        public long DecoderBlocksMax { get; set; }
    }

    public override void OnRequest(RequestRecord record)
    {
        Requests++;
        FirstArrivalNs = Math.Min(FirstArrivalNs, record.ArrivalNs);
        _outcomes[record.Outcome] = _outcomes.GetValueOrDefault(record.Outcome) + 1;
        RetriedRequests += record.Attempts > 1 ? 1 : 0;
        if (record.Verified is { } verified)
        {
            Verified += verified ? 1 : 0;
            Corrupted += verified ? 0 : 1;
        }

        if (record.Succeeded)
        {
            Delivered++;
            BytesMoved += record.Bytes;
            Pull.Record(record.PullNs);
            Ready.Record(record.ReadyNs);
            Exposed.Record(record.ExposedNs);
            FirstDecodeStep.Record(record.ReadyNs + DecodeStepNs);
            LastPullEndNs = Math.Max(LastPullEndNs, record.PullEndNs);
            if (!_classes.TryGetValue(record.LinkClass, out var link))
            {
                _classes[record.LinkClass] = link = new LinkClassStats();
            }

            link.Pulls++;
            link.Bytes += record.Bytes;
            link.PullNsSum += record.PullNs;
            Spread(record.LinkClass, record.Bytes, record.PullStartNs, record.PullEndNs);
        }

        if (transfers is not null)
        {
            if (!_headerWritten)
            {
                transfers.WriteLine(TransfersHeader);
                _headerWritten = true;
            }

            transfers.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{record.Id},{record.Prompt},{record.Decoder},{record.LinkClass},{record.Tokens},{record.Blocks},{record.Bytes},{record.ArrivalNs},{record.PullStartNs},{record.PullEndNs},{(record.PullEndNs > 0 ? record.PullNs : 0)},{(record.Succeeded ? record.ReadyNs : 0)},{record.Attempts},{Csv(record.Outcome)},{(record.Verified is { } v ? (v ? "yes" : "no") : "-")},{(record.Succeeded ? record.ExposedNs : 0)}"));
        }
    }

    public override void OnPullsInFlight(long nowNs, int inFlight)
    {
        PeakPullsInFlight = Math.Max(PeakPullsInFlight, inFlight);
        _pullsNow = inFlight;
        var bucket = At(nowNs);
        bucket.PullsInFlightMax = Math.Max(bucket.PullsInFlightMax, inFlight);
    }

    public override void OnPoolUsage(long nowNs, long promptBlocksUsed, long decoderBlocksUsed)
    {
        PeakPromptBlocks = Math.Max(PeakPromptBlocks, promptBlocksUsed);
        PeakDecoderBlocks = Math.Max(PeakDecoderBlocks, decoderBlocksUsed);
        (_promptNow, _decoderNow) = (promptBlocksUsed, decoderBlocksUsed);
        var bucket = At(nowNs);
        bucket.PromptBlocksMax = Math.Max(bucket.PromptBlocksMax, promptBlocksUsed);
        bucket.DecoderBlocksMax = Math.Max(bucket.DecoderBlocksMax, decoderBlocksUsed);
    }

    public override void OnLinkState(long nowNs, LinkInfo link, bool up) => LinkDownEvents += up ? 0 : 1;

    private static string Csv(string text) => text.Contains(',', StringComparison.Ordinal) ? $"\"{text}\"" : text;

    private Bucket At(long nowNs)
    {
        var index = (int)Math.Min(nowNs / BucketNs, 1_000_000);
        while (_buckets.Count <= index)
        {
            // A new bucket starts at the current levels: peaks are of levels, not only of the changes inside a bucket.
            _buckets.Add(new Bucket { PullsInFlightMax = _pullsNow, PromptBlocksMax = _promptNow, DecoderBlocksMax = _decoderNow });
        }

        return _buckets[index];
    }

    // Bytes of one pull, spread evenly over the buckets its transfer spans, so bandwidth over time is not spiky.
    private void Spread(string linkClass, long bytes, long startNs, long endNs)
    {
        var span = Math.Max(1, endNs - startNs);
        for (var t = startNs; t < Math.Max(endNs, startNs + 1);)
        {
            var bucketEnd = ((t / BucketNs) + 1) * BucketNs;
            var slice = Math.Min(bucketEnd, Math.Max(endNs, startNs + 1)) - t;
            var bucket = At(t).Bytes;
            bucket[linkClass] = bucket.GetValueOrDefault(linkClass) + (bytes * (double)slice / span);
            t += slice;
        }
    }
}
