using Microsoft.Extensions.Hosting;

namespace LlmDataDist.Hosting;

/// <summary>Initializes the instance (and links its peers) when the host starts; unlinks and finalizes it on stop.</summary>
internal sealed class LlmDataDistHostedService(LlmDataDistInstance instance) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => instance.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => instance.StopAsync(cancellationToken);
}
