using System.Collections;

namespace LlmDataDist;

/// <summary>The status of one cluster in a link or unlink call.</summary>
/// <param name="ClusterId">The peer's cluster id, as given in the call.</param>
/// <param name="Status">What happened to it.</param>
public readonly record struct ClusterResult(ulong ClusterId, LlmStatus Status)
{
    /// <summary>Whether this cluster succeeded.</summary>
    public bool Succeeded => Status == LlmStatus.Success;
}

/// <summary>
/// Per-cluster results of a link or unlink call, in input order, with the call's overall status. CE returns
/// overall success even when some clusters were ALREADY_LINK or REPEAT_REQUEST: check <see cref="AllSucceeded"/>.
/// </summary>
public sealed class ClusterResults : IReadOnlyList<ClusterResult>
{
    private readonly ClusterResult[] _results;

    private ClusterResults(LlmStatus status, ClusterResult[] results)
    {
        Status = status;
        _results = results;
    }

    /// <summary>Pairs the backend's status list with the clusters of the call.</summary>
    /// <param name="status">The overall status.</param>
    /// <param name="clusters">The clusters of the call.</param>
    /// <param name="statuses">One status per cluster; may be shorter (empty when the call failed before any cluster).</param>
    /// <returns>The results.</returns>
    public static ClusterResults Create(LlmStatus status, IReadOnlyList<ClusterInfo> clusters, IReadOnlyList<LlmStatus> statuses)
    {
        ArgumentNullException.ThrowIfNull(clusters);
        ArgumentNullException.ThrowIfNull(statuses);
        var count = Math.Min(clusters.Count, statuses.Count);
        var results = new ClusterResult[count];
        for (var i = 0; i < count; i++)
        {
            results[i] = new ClusterResult(clusters[i].RemoteClusterId, statuses[i]);
        }

        return new ClusterResults(status, results);
    }

    /// <summary>The overall status of the call.</summary>
    public LlmStatus Status { get; }

    /// <summary>Whether the call and every cluster succeeded.</summary>
    public bool AllSucceeded => Status == LlmStatus.Success && Array.TrueForAll(_results, r => r.Succeeded);

    /// <summary>The clusters that did not succeed.</summary>
    public IReadOnlyList<ClusterResult> Failures => Array.FindAll(_results, r => !r.Succeeded);

    /// <inheritdoc />
    public int Count => _results.Length;

    /// <inheritdoc />
    public ClusterResult this[int index] => _results[index];

    /// <inheritdoc />
    public IEnumerator<ClusterResult> GetEnumerator() => ((IEnumerable<ClusterResult>)_results).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Shows the overall status and each cluster's.</summary>
    /// <returns>For example <c>Success [2: Success, 3: AlreadyLink]</c>.</returns>
    public override string ToString() => $"{Status} [{string.Join(", ", _results.Select(r => $"{r.ClusterId}: {r.Status}"))}]";
}
