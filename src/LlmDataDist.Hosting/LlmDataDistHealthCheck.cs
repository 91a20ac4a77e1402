using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LlmDataDist.Hosting;

/// <summary>
/// Healthy when the instance runs and every configured peer is linked; degraded when it runs but a link is broken or
/// failed; unhealthy when it is not running. The data carry the instance state and each peer's link state.
/// </summary>
internal sealed class LlmDataDistHealthCheck(LlmDataDistInstance instance) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["cluster"] = instance.Options.ClusterId,
            ["role"] = instance.Options.Role.ToString(),
            ["backend"] = instance.Options.Backend,
            ["instance"] = instance.State.ToString(),
        };
        foreach (var (peer, state) in instance.Links.OrderBy(l => l.Key))
        {
            data[$"link.{peer}"] = instance.LinkStatuses.TryGetValue(peer, out var status) ? $"{state} ({status})" : state.ToString();
        }

        var down = instance.Links.Where(l => l.Value != LlmLinkState.Linked).Select(l => l.Key).Order().ToList();
        var result = instance.State != LlmInstanceState.Running
            ? HealthCheckResult.Unhealthy($"instance {instance.Options.ClusterId} is {instance.State}", data: data)
            : down.Count > 0
                ? HealthCheckResult.Degraded($"instance {instance.Options.ClusterId} runs; not linked to {string.Join(", ", down)}", data: data)
                : HealthCheckResult.Healthy($"instance {instance.Options.ClusterId} runs; {instance.Links.Count} peer(s) linked", data);
        return Task.FromResult(result);
    }
}
