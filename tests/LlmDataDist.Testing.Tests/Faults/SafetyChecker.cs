using LlmDataDist.Simulator;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Testing.Tests.Faults;

/// <summary>
/// The safety invariants of a run under faults, checked after every call: the status is one the reference lists for the
/// call (and so is every per-cluster status of a link or unlink); the call returned within its budget plus
/// <see cref="SlackNs"/> of virtual time; a successful transfer wrote exactly the requested rows and nothing else; a
/// failed pull changed nothing; a failed push changed nothing outside the requested rows and left each tensor's row
/// either untouched or fully written (layers are pushed one at a time, reference §9.15 and §12.6).
/// </summary>
internal sealed class SafetyChecker(EngineProfile profile)
{
    /// <summary>The model's slack: a call waits for its budget and no longer. The only extra wait the reference describes
    /// is CE's PROCESSING_LINK check (timeout_in_millis microseconds, §6.3 step 5), far below this.</summary>
    public const long SlackNs = SimTime.NsPerMs;

    public int Calls { get; private set; }

    public int Successes { get; private set; }

    public Dictionary<string, int> Failures { get; } = new(StringComparer.Ordinal);

    /// <summary>Checks the status and the time of a call.</summary>
    public void Call(string method, CallOutcome outcome, long budgetNs, string where)
    {
        Calls++;
        if (outcome.Succeeded)
        {
            Successes++;
        }
        else
        {
            var key = $"{method}:{outcome.Status}";
            Failures[key] = Failures.GetValueOrDefault(key) + 1;
        }

        Assert.True(ListedStatuses.IsListed(profile, method, outcome.Status),
            $"{where}: {method} returned {outcome.Status} (0x{(uint)outcome.Status:X8}), which the reference does not list for {profile}");
        PerCluster(method, outcome.Error?.Clusters, where);

        Assert.True(outcome.ElapsedNs <= budgetNs + SlackNs,
            $"{where}: {method} -> {outcome.Status} took {SimTime.Format(outcome.ElapsedNs)}, over its budget {SimTime.Format(budgetNs)} + slack {SimTime.Format(SlackNs)}");
    }

    /// <summary>Checks the per-cluster statuses of a link or unlink (from its result, or from its exception).</summary>
    public void PerCluster(string method, ClusterResults? clusters, string where)
    {
        foreach (var cluster in (IEnumerable<ClusterResult>?)clusters ?? [])
        {
            Assert.True(ListedStatuses.IsListedPerCluster(profile, method, cluster.Status),
                $"{where}: {method} gave cluster {cluster.ClusterId} {cluster.Status}, which the reference does not list per cluster for {profile}");
        }
    }

    /// <summary>Checks the bytes after a transfer of rows from <paramref name="source"/> onto the destination.</summary>
    /// <param name="push">A push (partial per-layer effects allowed on failure).</param>
    public static void Bytes(string where, bool succeeded, bool push, byte[][] source, byte[][] before, byte[][]? after, long rowBytes, IReadOnlyList<(long From, long To)> rows,
        IReadOnlyList<(int From, int To)> tensorPairs)
    {
        if (after is null)
        {
            return; // the destination's owner crashed at this instant and its memory went with it
        }

        if (succeeded)
        {
            var difference = CacheBytes.FirstDifference(CacheBytes.Expected(source, before, rowBytes, rows, tensorPairs), after);
            Assert.True(difference is null, $"{where}: reported success but the destination differs from the expected bytes at (tensor, byte) {difference}");
            return;
        }

        if (!push)
        {
            var difference = CacheBytes.FirstDifference(before, after);
            Assert.True(difference is null, $"{where}: a failed pull changed the destination at (tensor, byte) {difference}");
            return;
        }

        var written = CacheBytes.Expected(source, before, rowBytes, rows, tensorPairs);
        for (var t = 0; t < after.Length; t++)
        {
            var tensorOld = CacheBytes.FirstDifference([before[t]], [after[t]]) is null;
            var tensorNew = CacheBytes.FirstDifference([written[t]], [after[t]]) is null;
            Assert.True(tensorOld || tensorNew, $"{where}: a failed push left tensor {t} neither untouched nor fully written (or changed bytes outside the requested rows)");
        }
    }
}
