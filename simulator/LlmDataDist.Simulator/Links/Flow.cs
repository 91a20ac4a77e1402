namespace LlmDataDist.Simulator;

/// <summary>One transfer inside the <see cref="Network"/>: a latency phase, then a data phase during which it holds a
/// max-min fair share of every hop it crosses.</summary>
internal sealed class Flow(long id, Route route, long bytes, int blocks, long startNs, long deadlineNs, SimWait<TransferOutcome> wait)
{
    public long Id { get; } = id;

    public Route Route { get; } = route;

    public long Bytes { get; } = bytes;

    public int Blocks { get; } = blocks;

    public long StartNs { get; } = startNs;

    public long DeadlineNs { get; } = deadlineNs;

    public SimWait<TransferOutcome> Wait { get; } = wait;

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

    public bool Finished { get; set; }

    /// <summary>Why the flow is lost (it then waits for its deadline), or null.</summary>
    public string? BrokenCause { get; set; }

    public SimEventHandle? DataStart { get; set; }

    public SimEventHandle? Completion { get; set; }

    public SimEventHandle? Deadline { get; set; }

    public CancellationTokenRegistration Registration { get; set; }

    public bool Crosses(int linkId)
    {
        foreach (var hop in Route.Hops)
        {
            if (hop.Id == linkId)
            {
                return true;
            }
        }

        return false;
    }
}
