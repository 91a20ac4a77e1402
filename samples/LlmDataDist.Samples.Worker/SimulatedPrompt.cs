using System.Net;
using LlmDataDist.Hosting;

namespace LlmDataDist.Samples.Worker;

/// <summary>
/// The prompt side, simulated in the same world as the decoder: it listens, holds a paged cache of KV blocks whose
/// bytes follow a known pattern, and force-unlinks its side when the decoder recovers a broken link (§6.5).
/// </summary>
public sealed class SimulatedPrompt(SimulatorBackend simulator, ILogger<SimulatedPrompt> logger) : IHostedService, ILlmDataDistPeerUnlinker
{
    public const ulong ClusterId = 1;
    public const int Blocks = 64;
    public const int BlockBytes = 256;
    public static readonly IPEndPoint Endpoint = IPEndPoint.Parse("10.0.0.1:26000");

    private LlmDataDistClient? _client;

    public Cache Cache { get; private set; } = new();

    /// <summary>The byte at an offset of a block of a tensor of the prompt's cache.</summary>
    public static byte Expected(int tensor, int block, int offset) => unchecked((byte)((block * 131) + (tensor * 17) + offset + 1));

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _client = LlmDataDistClient.Create(simulator.Factory(server: 0), ClusterId, LlmRole.Prompt);
        await _client.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, ListenIpInfo = Endpoint }, cancellationToken);
        Cache = await _client.AllocateCacheAsync(new CacheDesc(CachePlacement.Device, 2, DataType.Int8, [Blocks, BlockBytes]), cancellationToken);
        simulator.Run(() =>
        {
            for (var t = 0; t < Cache.TensorAddrs.Count; t++)
            {
                var data = new byte[Blocks * BlockBytes];
                for (var i = 0; i < data.Length; i++)
                {
                    data[i] = Expected(t, i / BlockBytes, i % BlockBytes);
                }

                simulator.World.Memory.TryResolve(Cache.TensorAddrs[t], data.Length, out var range);
                range.Write(data);
            }

            return Task.FromResult(true);
        });
        SampleLog.PromptReady(logger, ClusterId, Endpoint.ToString(), Cache.CacheId, Blocks);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }
    }

    /// <summary>Breaks the link from the prompt's side (as a prompt restart would): the decoder's next pull times out.</summary>
    public async Task DropLinkAsync(ClusterInfo decoder, CancellationToken cancellationToken) =>
        await _client!.UnlinkLlmClustersAsync([decoder], forceFlag: true, cancellationToken: cancellationToken);

    public async ValueTask ForceUnlinkPeerSideAsync(ClusterInfo peer, CancellationToken cancellationToken)
    {
        var results = await _client!.UnlinkLlmClustersAsync([ToDecoder(peer)], forceFlag: true, cancellationToken: cancellationToken);
        SampleLog.PromptUnlinked(logger, results.ToString());
    }

    /// <summary>The prompt's view of the decoder that named it as <paramref name="peer"/>.</summary>
    public static ClusterInfo ToDecoder(ClusterInfo peer) =>
        new() { RemoteClusterId = 2, LocalIpInfos = peer.RemoteIpInfos, RemoteIpInfos = peer.LocalIpInfos };
}
