using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Backend;

/// <summary>
/// One simulated LLM-DataDist instance: the generated backend contract, reproducing the statuses, validation
/// order, state transitions and data effects of reference §5–§9 for the fabric's engine profile. Like every
/// backend it returns statuses and never throws for one.
/// </summary>
public sealed partial class SimulatedBackend : ILlmDataDistBackend
{
    private readonly SimulatedFabric _fabric;
    private readonly int _server;
    private readonly SortedTable<long, SimulatedCache> _caches = new();
    private InitOptions? _options;
    private List<int> _npus = [];
    private List<string> _listening = [];
    private long _nextCacheId = 1;
    private long _poolUsedBytes;
    private bool _disposed;
    private bool _crashed;
    private IReadOnlyDictionary<string, string>? _initOptions;

    // Bumped by every successful Initialize and every Finalize (explicit, Dispose, crash). A call remembers the
    // incarnation it started in and, after each await, ends with FAILED if the instance it ran in is gone (§5.1:
    // a finalized instance answers FAILED), instead of reading state that Finalize cleared.
    private long _incarnation;

    internal SimulatedBackend(SimulatedFabric fabric, int server, ulong clusterId, LlmRole role)
    {
        _fabric = fabric;
        _server = server;
        ClusterId = clusterId;
        Role = role;
    }

    /// <summary>The cluster id given to the constructor.</summary>
    public ulong ClusterId { get; }

    /// <summary>The cluster id as trace events print it, formatted once.</summary>
    internal string ClusterIdText => _clusterIdText ??= ClusterId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private string? _clusterIdText;

    /// <summary>The current role (the constructor's, or the last SetRole's).</summary>
    public LlmRole Role { get; private set; }

    /// <summary>Whether Initialize succeeded and Finalize has not run since.</summary>
    public bool IsInitialized => _options is not null;

    /// <summary>The endpoints this instance listens on.</summary>
    public IReadOnlyList<string> ListenEndpoints => _listening;

    /// <summary>The NPU of the instance's first device, once initialized.</summary>
    public int? Npu => _npus.Count > 0 ? _npus[0] : null;

    /// <summary>The server the instance runs on.</summary>
    public int Server => _server;

    /// <summary>Ids of the caches this instance knows, ascending.</summary>
    public IReadOnlyCollection<long> CacheIds => _caches.Keys;

    private EngineProfile Profile => _fabric.Profile;

    private static ValueTask<LlmStatus> Done(LlmStatus status) => ValueTask.FromResult(status);

    /// <summary>Every call's entry check: not disposed, and made inside a run on the loop thread. A call outside
    /// world.Run would wait for virtual time that never passes, so it throws at once with a message that says so; a call
    /// from another thread during a run fails the run as <see cref="SimulationFailureKind.ForeignThread"/>.</summary>
    private void Enter([System.Runtime.CompilerServices.CallerMemberName] string caller = "")
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _fabric.Loop.AssertInsideRun($"{nameof(SimulatedBackend)}.{caller}");
        BeginCall();
    }

    /// <inheritdoc />
    public ValueTask<LlmStatus> InitializeAsync(IReadOnlyDictionary<string, string> options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Enter();
        if (IsInitialized)
        {
            return Done(LlmStatus.Success); // options ignored, nothing changes (§5.1)
        }

        if (_crashed)
        {
            return Done(Why(LlmStatus.Failed, $"instance {ClusterId} crashed (fault plan); it restarts when the plan says")); // the process is down until the fault plan restarts it
        }

        var start = _fabric.Loop.NowNs;
        var result = Initialize(options);
        _fabric.TraceCall(this, start, "Initialize", result);
        return Done(result);
    }

    private LlmStatus Initialize(IReadOnlyDictionary<string, string> options)
    {
        var status = OptionRules.ParseInitialize(Profile, Role, options, out var parsed);
        if (status != LlmStatus.Success)
        {
            return Why(status, InitializeRuleBroken(options));
        }

        // Engine start-up: every device id must name an NPU of this server, and the listener must bind.
        var npus = new List<int>();
        foreach (var deviceId in parsed!.DeviceIds)
        {
            var npu = _fabric.Topology.NpusOf(_server).FirstOrDefault(n => n.DeviceId == deviceId);
            if (npu is null)
            {
                var count = _fabric.Topology.NpusOf(_server).Count;
                return Why(LlmStatus.Failed, $"device {deviceId} is not on server {_server} ({count} NPUs)");
            }

            npus.Add(npu.Id);
        }

        // CE listens only as a Prompt (other roles ignore the option); HX listens whenever an endpoint is given.
        var listen = Profile == EngineProfile.CE && Role != LlmRole.Prompt ? [] : parsed.Listen.Select(Endpoint).ToList();
        if (!StartListening(listen))
        {
            return Why(LlmStatus.Failed, $"cannot listen on {string.Join(", ", listen)}: another instance holds the endpoint");
        }

        _npus = npus;
        _options = parsed;
        _incarnation++;
        _nextCacheId = 1;
        _hasCommDescription = parsed.HasLocalCommRes || listen.Count > 0;
        _initOptions = new Dictionary<string, string>(options, StringComparer.Ordinal);
        return LlmStatus.Success;
    }

    /// <inheritdoc />
    public ValueTask ShutdownAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        FinalizeInstance();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask<LlmStatus> SetRoleAsync(LlmRole role, IReadOnlyDictionary<string, string> options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Enter();
        var status = SetRoleChecks(role, options, out var apply);
        // CE switches role by a device request (§9.5: WAIT_PROC_TIMEOUT), bounded by llm.SyncKvCacheWaitTime.
        return status != LlmStatus.Success || apply is null ? status
            : Profile == EngineProfile.CE ? await DeviceRequestAsync(DeviceRequestKind.SwitchRole, apply, static s => s, cancellationToken).ConfigureAwait(false)
            : apply();
    }

    /// <summary>SetRole's rules in the engine's order; on success, <paramref name="apply"/> makes the change.</summary>
    private LlmStatus SetRoleChecks(LlmRole role, IReadOnlyDictionary<string, string> options, out Func<LlmStatus>? apply)
    {
        apply = null;
        if (!IsInitialized)
        {
            return Why(LlmStatus.Failed, $"instance {ClusterId} is not initialized");
        }

        if (!OptionRules.IsRole(role) || !OptionRules.TryParseSetRoleListen(Profile, options, out var listenParsed))
        {
            return Why(LlmStatus.ParamInvalid, OptionRules.IsRole(role) ? "llm.ListenIpInfo is not a valid endpoint for SetRole" : $"{role} is not a role");
        }

        var listen = listenParsed.Select(Endpoint).ToList();
        if (Profile == EngineProfile.CE)
        {
            if (!_options!.EnableSwitchRole || _npus.Count > 1)
            {
                return Why(LlmStatus.FeatureNotEnabled, _npus.Count > 1
                    ? "CE SetRole works on one device only"
                    : "CE SetRole needs llm.EnableSwitchRole=1 at Initialize");
            }

            if (role == LlmRole.Prompt && listen.Count == 0)
            {
                return Why(LlmStatus.ParamInvalid, "CE prompt requires llm.ListenIpInfo");
            }

            if (LinksBlockRoleSwitch() is { } blocked)
            {
                return blocked;
            }

            apply = () =>
            {
                // Checked again when the device takes the request: a Link may have completed while it queued.
                if (LinksBlockRoleSwitch() is { } linkedMeanwhile)
                {
                    return linkedMeanwhile;
                }

                // The listener stops, and restarts on the new endpoint when the target role listens.
                StopListening();
                if (role == LlmRole.Prompt && !StartListening(listen))
                {
                    return Why(LlmStatus.Failed, $"cannot listen on {string.Join(", ", listen)}: another instance holds the endpoint");
                }

                Role = role;
                return LlmStatus.Success;
            };
            return LlmStatus.Success;
        }

        if (_options!.HixlBackend)
        {
            // The hixl backend cannot move its listener: any other endpoint is refused; links are not checked.
            if (listen.Count > 0 && !listen.SequenceEqual(_listening))
            {
                return Why(LlmStatus.FeatureNotEnabled, $"the hixl backend cannot move its listener from {string.Join(", ", _listening)} to {string.Join(", ", listen)}");
            }

            Role = role;
            return LlmStatus.Success;
        }

        if (HasLinks)
        {
            return Why(LlmStatus.ExistLink, $"instance {ClusterId} still has links; unlink every peer before SetRole");
        }

        if (listen.Count == 0)
        {
            StopListening();
        }
        else if (_listening.Count == 0 || Port(_listening[0]) != Port(listen[0]))
        {
            // Same port: nothing changes, even for another IP (a quirk of the engine, kept).
            StopListening();
            if (!StartListening(listen))
            {
                return Why(LlmStatus.Failed, $"cannot listen on {string.Join(", ", listen)}: another instance holds the endpoint");
            }
        }

        Role = role;
        return LlmStatus.Success;
    }

    /// <summary>CE: a Prompt or Decoder with links may not switch role (§9.5, EXIST_LINK); null when it may.</summary>
    private LlmStatus? LinksBlockRoleSwitch() => Role is LlmRole.Prompt or LlmRole.Decoder && HasLinks
        ? Why(LlmStatus.ExistLink, $"instance {ClusterId} still has links; unlink every peer before SetRole")
        : null;

    /// <summary>The destructor: finalizes implicitly (§5.1).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        FinalizeInstance();
        _disposed = true;
    }

    /// <summary>A crash fault: the state is lost and nobody is told.</summary>
    internal void Crash()
    {
        FinalizeInstance();
        _crashed = true;
    }

    /// <summary>The plan restarts a crashed cluster: it initializes again with its last options, with no links or caches.</summary>
    internal void Restart()
    {
        if (!_crashed)
        {
            return;
        }

        _crashed = false;
        if (_initOptions is not null && !_disposed)
        {
            Initialize(_initOptions);
        }
    }

    /// <summary>Drops links and caches and stops listening; ids restart at 1 after the next Initialize.</summary>
    private void FinalizeInstance()
    {
        if (!IsInitialized)
        {
            return;
        }

        DropAllLinks();
        foreach (var cache in _caches.Values)
        {
            Release(cache);
        }

        _caches.Clear();
        StopListening();
        _options = null;
        _npus = [];
        _incarnation++;
    }

    /// <summary>Whether the instance a call started in (<paramref name="incarnation"/>) was finalized, disposed or crashed
    /// since: the call then ends with <see cref="LlmStatus.Failed"/> at its next step.</summary>
    private bool Ended(long incarnation) => _incarnation != incarnation || !IsInitialized;

    private static string Endpoint((string Host, long Port) endpoint) =>
        endpoint.Host.Contains(':', StringComparison.Ordinal) ? $"[{endpoint.Host}]:{endpoint.Port}" : $"{endpoint.Host}:{endpoint.Port}";

    private static string Port(string endpoint) => endpoint[(endpoint.LastIndexOf(':') + 1)..];

    private bool StartListening(List<string> endpoints)
    {
        var bound = new List<string>();
        foreach (var endpoint in endpoints)
        {
            if (!_fabric.TryListen(endpoint, this))
            {
                foreach (var done in bound)
                {
                    _fabric.StopListening(done, this);
                }

                return false;
            }

            bound.Add(endpoint);
        }

        _listening = bound;
        return true;
    }

    private void StopListening()
    {
        foreach (var endpoint in _listening)
        {
            _fabric.StopListening(endpoint, this);
        }

        _listening = [];
    }
}
