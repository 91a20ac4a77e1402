namespace LlmDataDist.Simulator;

/// <summary>Cluster <paramref name="ClusterId"/> crashes at <paramref name="AtNs"/> and restarts at
/// <paramref name="RestartAtNs"/> (never by default). The backend asks through
/// <see cref="FaultInjector.IsClusterCrashed"/> and can listen to <see cref="FaultInjector.ClusterStateChanged"/>.</summary>
/// <param name="ClusterId">Cluster id.</param>
/// <param name="AtNs">Crash time.</param>
/// <param name="RestartAtNs">Restart time, or <see cref="long.MaxValue"/> for never.</param>
public sealed record ClusterCrashFault(ulong ClusterId, long AtNs, long RestartAtNs = long.MaxValue) : ScheduledFault;
