namespace LlmDataDist.Simulator.Scenarios;

/// <summary>
/// Sees a scenario as it runs, on the loop thread, so statistics can be kept as streams (histograms, counters, time
/// buckets) instead of one record per request. Every method does nothing by default.
/// </summary>
public abstract class ScenarioObserver
{
    /// <summary>A request finished (delivered, failed or dropped).</summary>
    /// <param name="record">What happened to it.</param>
    public virtual void OnRequest(RequestRecord record)
    {
    }

    /// <summary>The number of pulls in flight changed.</summary>
    /// <param name="nowNs">Virtual time.</param>
    /// <param name="inFlight">Pulls in flight now.</param>
    public virtual void OnPullsInFlight(long nowNs, int inFlight)
    {
    }

    /// <summary>KV blocks in use changed on some instance.</summary>
    /// <param name="nowNs">Virtual time.</param>
    /// <param name="promptBlocksUsed">Blocks in use over every prompt pool.</param>
    /// <param name="decoderBlocksUsed">Blocks in use over every decoder pool.</param>
    public virtual void OnPoolUsage(long nowNs, long promptBlocksUsed, long decoderBlocksUsed)
    {
    }

    /// <summary>A link went down or came back up (a fault, or by hand).</summary>
    /// <param name="nowNs">Virtual time.</param>
    /// <param name="link">The link.</param>
    /// <param name="up">Up now.</param>
    public virtual void OnLinkState(long nowNs, LinkInfo link, bool up)
    {
    }
}
