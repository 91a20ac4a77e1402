namespace LlmDataDist.Hosting;

// Quarantine of what a timed-out transfer may still write (docs/what-a-timeout-means.md): the reference promises only
// that a timed-out call changed nothing when it returned; on hardware its DMA may still land until the link that
// carried it is torn down. The recovery tears the link down (force-unlink), then releases what waited for that.
public sealed partial class LlmDataDistInstance
{
    private readonly Dictionary<ulong, List<Action>> _quarantine = [];

    /// <summary>
    /// Keeps something a transfer over the link to a peer may still write — typically the destination blocks of a pull
    /// that returned a timeout — out of use until that link is torn down: <paramref name="release"/> runs right after
    /// the next local force-unlink of the link (<see cref="RecoverLinkAsync"/>, the resilience pipeline's recovery, or
    /// stop). Call it instead of returning the blocks to your pool when you give a timed-out transfer up.
    /// </summary>
    /// <param name="peerClusterId">The peer the transfer went to or came from.</param>
    /// <param name="release">Returns the blocks to the pool; runs once, on the thread of the recovery.</param>
    public void QuarantineUntilTornDown(ulong peerClusterId, Action release)
    {
        ArgumentNullException.ThrowIfNull(release);
        lock (_quarantine)
        {
            if (!_quarantine.TryGetValue(peerClusterId, out var waiting))
            {
                _quarantine[peerClusterId] = waiting = [];
            }

            waiting.Add(release);
        }
    }

    /// <summary>How many releases wait for the link to a peer to be torn down.</summary>
    /// <param name="peerClusterId">The peer.</param>
    /// <returns>The count.</returns>
    public int QuarantinedCount(ulong peerClusterId)
    {
        lock (_quarantine)
        {
            return _quarantine.TryGetValue(peerClusterId, out var waiting) ? waiting.Count : 0;
        }
    }

    private void ReleaseQuarantine(ulong peerClusterId)
    {
        List<Action>? waiting;
        lock (_quarantine)
        {
            _quarantine.Remove(peerClusterId, out waiting);
        }

        foreach (var release in waiting ?? [])
        {
            release();
        }
    }
}
