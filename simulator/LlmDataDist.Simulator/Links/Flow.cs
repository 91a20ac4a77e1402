using System.Globalization;

namespace LlmDataDist.Simulator;

/// <summary>One transfer inside the <see cref="Network"/>: a latency phase, then a data phase during which it holds a
/// max-min fair share of every hop it crosses.</summary>
internal sealed class Flow
{
    public Flow(long id, Route route, long bytes, int blocks, long startNs, long deadlineNs, SimLoop loop)
    {
        Id = id;
        Route = route;
        Bytes = bytes;
        Blocks = blocks;
        StartNs = startNs;
        DeadlineNs = deadlineNs;
        // Every transfer has a wait, but only a failure report reads its description: build it then, not here.
        Wait = loop.CreateDescribedWait<TransferOutcome>(this, static flow => ((Flow)flow).Describe());
    }

    public long Id { get; }

    public Route Route { get; }

    public long Bytes { get; }

    public int Blocks { get; }

    public long StartNs { get; }

    public long DeadlineNs { get; }

    public SimWait<TransferOutcome> Wait { get; }

    /// <summary>Earliest end of the transfer alone: start + latency + its data-phase time D(n, S).</summary>
    public long FloorNs { get; set; }

    /// <summary>Largest rate this flow can use on its own (per-block cost, slow device), bytes per second.</summary>
    public long CapBytesPerSecond { get; set; } = long.MaxValue;

    /// <summary>Bytes still to move, times 10^9: progress is then rate (B/s) times elapsed ns, exactly, in integers.</summary>
    public Int128 RemainingScaled { get; set; }

    public long RateBytesPerSecond { get; set; }

    public long NextRateBytesPerSecond { get; set; }

    public bool InDataPhase { get; set; }

    public bool Frozen { get; set; }

    /// <summary>How the flow ended, once finished.</summary>
    public TransferOutcome Outcome { get; set; }

    /// <summary>The network's completion handler for this flow, created at its first scheduling.</summary>
    public Action? OnCompletion { get; set; }

    /// <summary>The network's mark of the last rebalance that visited this flow.</summary>
    public long Visit { get; set; }

    public bool Finished { get; set; }

    /// <summary>Why the flow is lost (it then waits for its deadline), or null.</summary>
    public string? BrokenCause { get; set; }

    public SimEventHandle? DataStart { get; set; }

    public SimEventHandle? Completion { get; set; }

    public SimEventHandle? Deadline { get; set; }

    public CancellationTokenRegistration Registration { get; set; }

    /// <summary>The wait's description in failure reports.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"transfer #{Id} {Route} {Bytes} B in {Blocks} blocks, deadline {SimTime.Format(DeadlineNs)}");

    public bool Crosses(int linkId)
    {
        foreach (var hop in Route.HopSpan)
        {
            if (hop.Id == linkId)
            {
                return true;
            }
        }

        return false;
    }
}
