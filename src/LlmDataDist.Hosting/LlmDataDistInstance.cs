using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;

namespace LlmDataDist.Hosting;

/// <summary>Where the hosted instance is in its lifecycle.</summary>
public enum LlmInstanceState
{
    /// <summary>The host has not started it yet.</summary>
    NotStarted,

    /// <summary>Initialize succeeded; calls can be made.</summary>
    Running,

    /// <summary>Initialize failed; the host did not start.</summary>
    Failed,

    /// <summary>Finalized by the host's stop.</summary>
    Stopped,
}

/// <summary>The host's view of the link to one configured peer.</summary>
public enum LlmLinkState
{
    /// <summary>No link (not linked yet, or unlinked).</summary>
    Unlinked,

    /// <summary>Linked.</summary>
    Linked,

    /// <summary>A transfer said the link is broken; the recovery (§6.5) is running or will run before the next retry.</summary>
    Broken,

    /// <summary>Linking failed; the last status is in <see cref="LlmDataDistInstance.LinkStatuses"/>.</summary>
    Failed,
}

/// <summary>
/// Called during link recovery to force-unlink the peer's side of the link (§6.5: "force-unlink on both sides, then
/// link again"). The peer is another process, so only the application knows how to reach it; without an
/// implementation only the local side is force-unlinked, which is enough for HX (the server drops its stale record
/// when the client links again) but may leave a CE prompt with a stale record.
/// </summary>
public interface ILlmDataDistPeerUnlinker
{
    /// <summary>Asks the peer to force-unlink its side of the link to this instance.</summary>
    /// <param name="peer">The peer, as configured.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when the peer has unlinked.</returns>
    ValueTask ForceUnlinkPeerSideAsync(ClusterInfo peer, CancellationToken cancellationToken);
}

/// <summary>
/// The instance the host runs: initialized on start, finalized on stop, linked to the configured peers. Make calls
/// with <see cref="ExecuteAsync"/> to get retries of recoverable statuses and link recovery, or use
/// <see cref="Client"/> directly for none.
/// </summary>
public sealed partial class LlmDataDistInstance : IAsyncDisposable
{
    /// <summary>The name of the resilience pipeline <see cref="ExecuteAsync"/> runs calls through.</summary>
    public const string PipelineName = "LlmDataDist";

    /// <summary>The resilience-context property that names the peer a call transfers with (for link recovery).</summary>
    public static readonly ResiliencePropertyKey<ClusterInfo> PeerProperty = new("LlmDataDist.Peer");

    private readonly LlmDataDistHostOptions _options;
    private readonly LlmDataDistBackendRegistry _backends;
    private readonly IServiceProvider _services;
    private readonly ResiliencePipelineProvider<string> _pipelines;
    private readonly ILogger<LlmDataDistInstance> _logger;
    private readonly ConcurrentDictionary<ulong, LlmLinkState> _links = new();
    private readonly ConcurrentDictionary<ulong, LlmStatus> _linkStatuses = new();
    private readonly SemaphoreSlim _linkGate = new(1, 1);
    private LlmDataDistClient? _client;

    /// <summary>Created by dependency injection.</summary>
    /// <param name="options">The host options.</param>
    /// <param name="backends">The registered backends.</param>
    /// <param name="services">Resolves the backend factory and the optional peer unlinker.</param>
    /// <param name="pipelines">The resilience pipelines.</param>
    /// <param name="logger">The logger.</param>
    public LlmDataDistInstance(IOptions<LlmDataDistHostOptions> options, IOptions<LlmDataDistBackendRegistry> backends, IServiceProvider services,
        ResiliencePipelineProvider<string> pipelines, ILogger<LlmDataDistInstance> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(backends);
        _options = options.Value;
        _backends = backends.Value;
        _services = services;
        _pipelines = pipelines;
        _logger = logger;
        foreach (var peer in _options.Peers)
        {
            _links[peer.RemoteClusterId] = LlmLinkState.Unlinked;
        }
    }

    /// <summary>The lifecycle state.</summary>
    public LlmInstanceState State { get; private set; } = LlmInstanceState.NotStarted;

    /// <summary>The options the instance runs with.</summary>
    public LlmDataDistHostOptions Options => _options;

    /// <summary>The link state of every configured peer, by cluster id.</summary>
    public IReadOnlyDictionary<ulong, LlmLinkState> Links => _links;

    /// <summary>The last link status of every peer the host tried to link, by cluster id.</summary>
    public IReadOnlyDictionary<ulong, LlmStatus> LinkStatuses => _linkStatuses;

    /// <summary>The client; available once the host started the instance.</summary>
    /// <exception cref="InvalidOperationException">The instance is not running.</exception>
    public LlmDataDistClient Client => State == LlmInstanceState.Running && _client is not null
        ? _client
        : throw new InvalidOperationException($"The LlmDataDist instance is {State}: the host starts it (AddLlmDataDist registers the hosted service).");

    /// <summary>Runs a call through the resilience pipeline: recoverable statuses in
    /// <see cref="LlmDataDistResilienceOptions.RetryStatuses"/> are retried; a broken link
    /// (<see cref="LlmDataDistResilienceOptions.RecoverLinkStatuses"/>) to <paramref name="peer"/> is force-unlinked on
    /// both sides and linked again before the retry.</summary>
    /// <typeparam name="T">The call's result.</typeparam>
    /// <param name="call">The call, on the client.</param>
    /// <param name="peer">The peer the call transfers with; null when it transfers with none (no link recovery).</param>
    /// <param name="cancellationToken">Stops the call and the retries.</param>
    /// <returns>The call's result.</returns>
    public async ValueTask<T> ExecuteAsync<T>(Func<LlmDataDistClient, CancellationToken, ValueTask<T>> call, ClusterInfo? peer = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        var client = Client;
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            if (peer is not null)
            {
                context.Properties.Set(PeerProperty, peer);
            }

            return await _pipelines.GetPipeline(PipelineName)
                .ExecuteAsync(static (ctx, state) => state.call(state.client, ctx.CancellationToken), context, (call, client)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Runs a call without a result through the resilience pipeline (see the generic overload).</summary>
    /// <param name="call">The call, on the client.</param>
    /// <param name="peer">The peer the call transfers with; null when it transfers with none.</param>
    /// <param name="cancellationToken">Stops the call and the retries.</param>
    /// <returns>A task that completes when the call succeeded.</returns>
    public async ValueTask ExecuteAsync(Func<LlmDataDistClient, CancellationToken, ValueTask> call, ClusterInfo? peer = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        await ExecuteAsync(async (client, ct) =>
        {
            await call(client, ct).ConfigureAwait(false);
            return true;
        }, peer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The reference's recovery of a broken link (§6.5): force-unlink the local side, have the peer
    /// force-unlink its side (<see cref="ILlmDataDistPeerUnlinker"/>), link again.</summary>
    /// <param name="peer">The peer.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The link result.</returns>
    public async ValueTask<ClusterResults> RecoverLinkAsync(ClusterInfo peer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var client = Client;
        await _linkGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _links[peer.RemoteClusterId] = LlmLinkState.Broken;
            Log.RecoveringLink(_logger, peer.RemoteClusterId);
            var unlinked = await client.UnlinkLlmClustersAsync([peer], _options.LinkTimeout, forceFlag: true, cancellationToken).ConfigureAwait(false);
            ReleaseQuarantine(peer.RemoteClusterId);
            Log.ForceUnlinked(_logger, peer.RemoteClusterId, unlinked.ToString());
            if (_services.GetService(typeof(ILlmDataDistPeerUnlinker)) is ILlmDataDistPeerUnlinker unlinker)
            {
                await unlinker.ForceUnlinkPeerSideAsync(peer, cancellationToken).ConfigureAwait(false);
            }

            return await LinkLockedAsync(client, peer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _linkGate.Release();
        }
    }

    /// <summary>Initializes the instance and links the configured peers (the hosted service calls it on start).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when the instance runs.</returns>
    internal async Task StartAsync(CancellationToken cancellationToken)
    {
        var factory = _backends.Create(_options.Backend, _services);
        _client = LlmDataDistClient.Create(factory, _options.ClusterId, _options.Role);
        try
        {
            await _client.InitializeAsync(_options.Initialize, cancellationToken).ConfigureAwait(false);
        }
        catch (LlmDataDistException ex)
        {
            State = LlmInstanceState.Failed;
            Log.InitializeFailed(_logger, ex, _options.ClusterId, _options.Role, _options.Backend);
            throw;
        }

        State = LlmInstanceState.Running;
        Log.Initialized(_logger, _options.ClusterId, _options.Role, _options.Backend);
        foreach (var peer in _options.Peers)
        {
            await _linkGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await LinkLockedAsync(_client, peer, cancellationToken).ConfigureAwait(false);
            }
            catch (LlmDataDistException)
            {
                // Logged and visible in the health check; the application runs degraded and recovery relinks later.
            }
            finally
            {
                _linkGate.Release();
            }
        }
    }

    /// <summary>Unlinks (force: the peer may be gone already) and finalizes (the hosted service calls it on stop).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when the instance is finalized.</returns>
    internal async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_client is null || State != LlmInstanceState.Running)
        {
            return;
        }

        var linked = _options.Peers.Where(p => _links.GetValueOrDefault(p.RemoteClusterId) != LlmLinkState.Unlinked).ToList();
        if (linked.Count > 0)
        {
            var results = await _client.UnlinkLlmClustersAsync(linked, _options.LinkTimeout, forceFlag: true, cancellationToken).ConfigureAwait(false);
            foreach (var peer in linked)
            {
                _links[peer.RemoteClusterId] = LlmLinkState.Unlinked;
            }

            Log.Unlinked(_logger, results.ToString());
            foreach (var peer in linked)
            {
                ReleaseQuarantine(peer.RemoteClusterId);
            }
        }

        await _client.ShutdownAsync(cancellationToken).ConfigureAwait(false);
        State = LlmInstanceState.Stopped;
        Log.Stopped(_logger, _options.ClusterId);
    }

    /// <summary>Finalizes the instance if the host did not, and releases the backend.</summary>
    /// <returns>A task that completes when released.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync().ConfigureAwait(false);
        }

        _linkGate.Dispose();
    }

    internal void OnLinkBroken(ClusterInfo peer, LlmStatus status)
    {
        _links[peer.RemoteClusterId] = LlmLinkState.Broken;
        Log.LinkBroken(_logger, peer.RemoteClusterId, status);
    }

    private async ValueTask<ClusterResults> LinkLockedAsync(LlmDataDistClient client, ClusterInfo peer, CancellationToken cancellationToken)
    {
        ClusterResults results;
        try
        {
            results = await client.LinkLlmClustersAsync([peer], _options.LinkTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (LlmDataDistException ex)
        {
            _links[peer.RemoteClusterId] = LlmLinkState.Failed;
            _linkStatuses[peer.RemoteClusterId] = ex.Status;
            Log.LinkFailed(_logger, ex, peer.RemoteClusterId, ex.Status);
            throw;
        }

        // CE returns overall success with a per-cluster ALREADY_LINK: that link is up all the same.
        var status = results.Count > 0 ? results[0].Status : results.Status;
        _linkStatuses[peer.RemoteClusterId] = status;
        _links[peer.RemoteClusterId] = status is LlmStatus.Success or LlmStatus.AlreadyLink ? LlmLinkState.Linked : LlmLinkState.Failed;
        Log.Linked(_logger, peer.RemoteClusterId, _links[peer.RemoteClusterId], status);
        return results;
    }
}
