using System.Runtime.CompilerServices;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Backend;

/// <summary>
/// The simulator knows which rule of the reference each failure breaks: it records the rule, with the values
/// involved, under the client's call number (<see cref="LlmFailureReasons"/>) so the client's exception says why.
/// The number is read when a call enters and flows with the call's own continuations, so concurrent calls on one
/// instance keep their reasons apart.
/// </summary>
public sealed partial class SimulatedBackend : ILlmFailureReasonSource
{
    private static readonly AsyncLocal<long> CurrentCall = new();

    // Link and unlink judge each cluster apart; the call sets a fresh box before each cluster's step and composes
    // the call's reason from the boxes once every cluster has its status.
    private static readonly AsyncLocal<StrongBox<string?>?> ClusterReason = new();
    private readonly LlmFailureReasonBook _reasons = new();

    /// <inheritdoc />
    public string? TakeFailureReason(long call) => _reasons.Take(call);

    /// <summary>Remembers which client call is running (called when a call enters, before its first await).</summary>
    private static void BeginCall() => CurrentCall.Value = LlmFailureReasons.CurrentCall;

    /// <summary>Which of Initialize's option rules (§7) the options break, for the reason of a PARAM_INVALID. The
    /// rules are a pure function of the options, so naming the first broken one here cannot disagree with the check.</summary>
    private string InitializeRuleBroken(IReadOnlyDictionary<string, string> options)
    {
        var ce = Profile == EngineProfile.CE;
        if (!OptionRules.IsRole(Role))
        {
            return $"{Role} is not a role";
        }

        if (!options.TryGetValue(LlmOptionKeys.DeviceId, out var device))
        {
            return "llm.DeviceId is required";
        }

        if (!OptionRules.ParseInitialize(Profile, Role, new Dictionary<string, string> { [LlmOptionKeys.DeviceId] = device, [LlmOptionKeys.ListenIpInfo] = "127.0.0.1:1" }, out _)
                .Equals(LlmStatus.Success))
        {
            return $"llm.DeviceId '{device}' is not {(ce ? "a device id or a ;-separated list of them" : "one device id")}";
        }

        if (ce && Role == LlmRole.Prompt && !options.ContainsKey(LlmOptionKeys.ListenIpInfo))
        {
            return "CE prompt requires llm.ListenIpInfo";
        }

        foreach (var key in options.Keys)
        {
            var alone = new Dictionary<string, string> { [LlmOptionKeys.DeviceId] = device, [key] = options[key] };
            if (ce && Role == LlmRole.Prompt && key != LlmOptionKeys.ListenIpInfo)
            {
                alone[LlmOptionKeys.ListenIpInfo] = options[LlmOptionKeys.ListenIpInfo];
            }

            if (OptionRules.ParseInitialize(Profile, Role, alone, out _) != LlmStatus.Success)
            {
                return $"{key} '{options[key]}' breaks its rule (§7)";
            }
        }

        return "the options break a rule of §7 together";
    }

    /// <summary>Why a call fails when its own instance ended under it.</summary>
    private string EndedReason => $"instance {ClusterId} was finalized, disposed or crashed during the call";

    /// <summary>Records why the cluster being linked or unlinked gets its status, and returns the status.</summary>
    private static LlmStatus ForCluster(LlmStatus status, string reason)
    {
        if (ClusterReason.Value is { } box)
        {
            box.Value ??= reason;
        }

        return status;
    }

    /// <summary>The reasons of the clusters that failed, for a call whose reason lists them.</summary>
    private static string ClusterReasons(IReadOnlyList<ClusterInfo> clusters, List<LlmStatus> rets, List<string?> reasons, int timeoutMs)
    {
        var failed = Enumerable.Range(0, Math.Min(rets.Count, reasons.Count)).Where(i => rets[i] != LlmStatus.Success && reasons[i] is not null)
            .Select(i => $"cluster {clusters[i].RemoteClusterId}: {reasons[i]}").ToList();
        return failed.Count == 0 ? "" : $" ({string.Join("; ", failed)}; timeout {timeoutMs} ms)";
    }

    /// <summary>HX answers a link or unlink with the last failing cluster's status; its reason names that cluster.</summary>
    private LlmStatus WhyLastFailingCluster(IReadOnlyList<ClusterInfo> clusters, List<LlmStatus> rets, List<string?> reasons, int timeoutMs)
    {
        for (var i = rets.Count - 1; i >= 0; i--)
        {
            if (rets[i] != LlmStatus.Success)
            {
                var others = rets.Count(r => r != LlmStatus.Success) - 1;
                return Why(rets[i], $"cluster {clusters[i].RemoteClusterId}: {reasons.ElementAtOrDefault(i) ?? rets[i].ToString()} (timeout {timeoutMs} ms"
                    + (others > 0 ? $"; {others} other cluster(s) failed too, see the per-cluster statuses)" : ")"));
            }
        }

        return LlmStatus.Success;
    }

    /// <summary>Like <see cref="Why(LlmStatus, string)"/> where the engine performs no check and would touch memory outside the buffer
    /// (UB→sim, reference §0.2, §12.7): the status is the simulator's substitute, flagged in the trace.</summary>
    private LlmStatus Substitute(LlmStatus status, string reason)
    {
        _fabric.TraceFlag(this, "UbSubstitute", reason);
        return Why(status, reason);
    }

    /// <summary>Like <see cref="Why(LlmStatus, string)"/> for a failure after earlier copies of the same call landed (reference §12.6):
    /// the partial effect is the engine's, flagged in the trace.</summary>
    private LlmStatus Partial(LlmStatus status, string reason)
    {
        _fabric.TraceFlag(this, "PartialEffect", reason);
        return Why(status, reason);
    }

    /// <summary><see cref="Substitute"/> when the engine has no check for the case at hand, else <see cref="Why(LlmStatus, string)"/>.</summary>
    private LlmStatus Why(LlmStatus status, string reason, bool substitute) => substitute ? Substitute(status, reason) : Why(status, reason);

    /// <summary><see cref="Why(LlmStatus, string)"/> or, once <paramref name="landed"/> earlier steps of the call were written, <see cref="Partial"/>.</summary>
    private LlmStatus WhyAfter(int landed, LlmStatus status, string reason) => landed > 0 ? Partial(status, reason) : Why(status, reason);

    /// <summary>Flags a failure whose reason is already recorded as a partial effect once earlier steps were written.</summary>
    private LlmStatus FlagAfter(int landed, LlmStatus status)
    {
        if (landed > 0)
        {
            _fabric.TraceFlag(this, "PartialEffect", $"{status} after {landed} earlier step(s) of the call were written");
        }

        return status;
    }

    /// <summary>Records why the current call fails and returns its status.</summary>
    private LlmStatus Why(LlmStatus status, string reason)
    {
        _reasons.Record(CurrentCall.Value, reason);
        return status;
    }
}
