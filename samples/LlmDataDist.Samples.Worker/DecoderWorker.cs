using LlmDataDist.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace LlmDataDist.Samples.Worker;

public sealed class SampleOptions
{
    public int Requests { get; set; } = 8;

    public int BlocksPerRequest { get; set; } = 4;

    /// <summary>Before this request the prompt drops its side of the link, so the pull shows the recovery; 0 for never.</summary>
    public int BreakLinkAtRequest { get; set; }

    public bool Telemetry { get; set; } = true;
}

/// <summary>
/// The decoder: for each incoming request (here generated), allocates room for its blocks, pulls them from the prompt
/// through the hosted instance's resilience pipeline, checks every byte, and logs the health report (with link state).
/// </summary>
public sealed class DecoderWorker(LlmDataDistInstance instance, SimulatedPrompt prompt, SimulatorBackend simulator, HealthCheckService health, IOptions<SampleOptions> options,
    IHostApplicationLifetime lifetime, ILogger<DecoderWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sample = options.Value;
        var peer = instance.Options.Peers[0];
        await LogHealthAsync(stoppingToken);
        var blocks = await instance.Client.AllocateCacheAsync(new CacheDesc(CachePlacement.Device, 2, DataType.Int8, [sample.BlocksPerRequest, SimulatedPrompt.BlockBytes]), stoppingToken);
        for (var request = 1; request <= sample.Requests && !stoppingToken.IsCancellationRequested; request++)
        {
            if (request == sample.BreakLinkAtRequest)
            {
                SampleLog.BreakingLink(logger, request);
                await prompt.DropLinkAsync(SimulatedPrompt.ToDecoder(peer), stoppingToken);
            }

            // The request's prompt blocks: a window that moves with the request id.
            var source = Enumerable.Range(0, sample.BlocksPerRequest).Select(i => (ulong)(((request * 7) + i) % SimulatedPrompt.Blocks)).ToArray();
            var destination = Enumerable.Range(0, sample.BlocksPerRequest).Select(i => (ulong)i).ToArray();
            await instance.ExecuteAsync((client, ct) => client.PullKvBlocksAsync(new CacheIndex(peer.RemoteClusterId, prompt.Cache.CacheId, 0), blocks, source, destination, cancellationToken: ct),
                peer, stoppingToken);
            var verified = Verify(blocks, source);
            SampleLog.Pulled(logger, request, string.Join(", ", source), verified ? "bytes verified" : "DATA MISMATCH");
            if (request == sample.BreakLinkAtRequest)
            {
                await LogHealthAsync(stoppingToken);
            }
        }

        await LogHealthAsync(stoppingToken);
        lifetime.StopApplication();
    }

    /// <summary>Reads the decoder's blocks back from simulated device memory and compares them with the prompt's.</summary>
    private bool Verify(Cache blocks, ulong[] source) => simulator.Run(() =>
    {
        for (var t = 0; t < blocks.TensorAddrs.Count; t++)
        {
            var data = new byte[source.Length * SimulatedPrompt.BlockBytes];
            simulator.World.Memory.TryResolve(blocks.TensorAddrs[t], data.Length, out var range);
            range.Read(data);
            for (var i = 0; i < data.Length; i++)
            {
                if (data[i] != SimulatedPrompt.Expected(t, (int)source[i / SimulatedPrompt.BlockBytes], i % SimulatedPrompt.BlockBytes))
                {
                    return Task.FromResult(false);
                }
            }
        }

        return Task.FromResult(true);
    });

    private async Task LogHealthAsync(CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(cancellationToken);
        foreach (var (name, entry) in report.Entries)
        {
            SampleLog.Health(logger, name, entry.Status, entry.Description, string.Join(", ", entry.Data.Select(d => $"{d.Key}={d.Value}")));
        }
    }
}
