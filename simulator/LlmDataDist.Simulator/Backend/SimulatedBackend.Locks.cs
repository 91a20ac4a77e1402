using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Backend;

// Reference §10, modelled as explicit locks in virtual time instead of shared bandwidth:
// CE: each kind of device request (pull, push, allocate, deallocate, switch role) is served one at a time per instance,
//     different kinds overlap; a link is one lock for both directions. A transfer over a link held by the peer's
//     request, or that cannot take the link before its timeout, gets LINK_BUSY. A request still queued when its
//     llm.SyncKvCacheWaitTime budget ends, or sent to a device that never answers, gets WAIT_PROC_TIMEOUT.
// HX: pull and push over one link are serialised by that side's per-link lock; all pushes of an instance are
//     serialised; pulls over different links run concurrently. A lock not taken before the call's budget ends gets the
//     engine's timeout (HX has no LINK_BUSY).
public sealed partial class SimulatedBackend
{
    private readonly Dictionary<DeviceRequestKind, SimLock> _deviceQueues = [];
    private SimLock? _pushLock;
    private long _requestSeq;

    /// <summary>The kinds of CE device request, each served one at a time per instance.</summary>
    private enum DeviceRequestKind
    {
        Pull,
        Push,
        Allocate,
        Deallocate,
        SwitchRole,
    }

    private SimLock DeviceQueue(DeviceRequestKind kind)
    {
        if (!_deviceQueues.TryGetValue(kind, out var queue))
        {
            _deviceQueues[kind] = queue = new SimLock(_fabric.Loop, $"cluster {ClusterId} {kind} device requests");
        }

        return queue;
    }

    private SimLock PushLock => _pushLock ??= new SimLock(_fabric.Loop, $"cluster {ClusterId} push lock");

    /// <summary>The locks one call holds, released together when it ends; it is also the holder the locks report.</summary>
    private sealed class HeldLocks(SimulatedBackend owner, string operation, long sequence) : IDisposable
    {
        private readonly List<SimLock> _locks = [];
        private string? _what;

        public SimulatedBackend Owner { get; } = owner;

        public bool Holds(SimLock simLock) => _locks.Contains(simLock);

        public void Add(SimLock simLock) => _locks.Add(simLock);

        public void Dispose()
        {
            for (var i = _locks.Count - 1; i >= 0; i--)
            {
                _locks[i].Release(this);
            }

            _locks.Clear();
        }

        // Built when a report or a contended lock's description reads it, not for every call (two per pull).
        public override string ToString() => _what ??= string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{operation} #{sequence} of cluster {Owner.ClusterId}");
    }

    private HeldLocks NewLocks(string operation) => new(this, operation, ++_requestSeq);

    /// <summary>Whether any device of this instance ignores requests now.</summary>
    private bool DevicesSilent() => DeviceSilent(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_npus));

    /// <summary>Whether the fault plan says one of the devices never answers a request issued now (a span, so that a
    /// transfer's [local, peer] pair allocates nothing).</summary>
    private bool DeviceSilent(ReadOnlySpan<int> npus)
    {
        if (_fabric.Faults is { } faults)
        {
            foreach (var npu in npus)
            {
                if (faults.IsDeviceUnresponsive(npu, _fabric.Loop.NowNs))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// CE: one device request of a kind, bounded by llm.SyncKvCacheWaitTime: it waits behind earlier requests of its
    /// kind, then the device runs <paramref name="work"/>. Still queued at the deadline, or sent to a device that never
    /// answers: WAIT_PROC_TIMEOUT (nothing done). Uncontended and fault-free, it completes at once.
    /// </summary>
    private async Task<T> DeviceRequestAsync<T>(DeviceRequestKind kind, Func<T> work, Func<LlmStatus, T> fail, CancellationToken cancellationToken)
    {
        var me = _incarnation;
        var deadline = CallDeadlineNs();
        using var held = NewLocks(kind.ToString());
        var queue = DeviceQueue(kind);
        if (!await queue.AcquireAsync(held, deadline, cancellationToken).ConfigureAwait(false))
        {
            return fail(Ended(me) ? Why(LlmStatus.Failed, EndedReason) : Why(LlmStatus.WaitProcTimeout, $"the {kind} request still queued behind earlier ones after {SyncWaitText}"));
        }

        held.Add(queue);
        if (Ended(me))
        {
            return fail(Why(LlmStatus.Failed, EndedReason));
        }

        if (DevicesSilent())
        {
            TraceFault("DeviceUnresponsive", kind.ToString());
            await DelayUntilAsync(deadline, cancellationToken).ConfigureAwait(false);
            return fail(Ended(me) ? Why(LlmStatus.Failed, EndedReason) : Why(LlmStatus.WaitProcTimeout, $"the device of instance {ClusterId} did not answer the {kind} request within {SyncWaitText} (fault plan)"));
        }

        return work();
    }

    /// <summary>
    /// Takes the locks a transfer needs before its bytes may move (§10). CE: its kind's device queue, then the link
    /// (LINK_BUSY when the peer's request holds it or it stays taken until the deadline); per layer of a push. HX: the
    /// instance's push lock (pushes) and this side's link lock, once per call. SUCCESS, or the transfer's status.
    /// </summary>
    private async Task<LlmStatus> TakeTransferLocksAsync(LinkRecord record, bool pull, long deadline, HeldLocks held, CancellationToken cancellationToken)
    {
        if (Profile == EngineProfile.CE)
        {
            var queue = DeviceQueue(pull ? DeviceRequestKind.Pull : DeviceRequestKind.Push);
            if (!await queue.AcquireAsync(held, deadline, cancellationToken).ConfigureAwait(false))
            {
                return Why(LlmStatus.WaitProcTimeout, $"the {(pull ? "pull" : "push")} request still queued behind earlier ones after {SyncWaitText}"); // the host stopped waiting before the device took the request
            }

            held.Add(queue);
            if (record.Lock.Holder is HeldLocks holder && holder.Owner != this)
            {
                return Why(LlmStatus.LinkBusy, $"the link to cluster {record.PeerClusterId} is serving the peer's request"); // busy serving the peer's request
            }

            if (!await record.Lock.AcquireAsync(held, deadline, cancellationToken).ConfigureAwait(false))
            {
                return Why(LlmStatus.LinkBusy, $"the link to cluster {record.PeerClusterId} stayed taken for {SyncWaitText}"); // could not take the link before the timeout
            }

            held.Add(record.Lock);
            return LlmStatus.Success;
        }

        if (!pull && !held.Holds(PushLock))
        {
            if (!await PushLock.AcquireAsync(held, deadline, cancellationToken).ConfigureAwait(false))
            {
                return Why(LlmStatus.Timeout, $"another push held instance {ClusterId}'s push lock for {SyncWaitText}");
            }

            held.Add(PushLock);
        }

        if (!held.Holds(record.Lock))
        {
            if (!await record.Lock.AcquireAsync(held, deadline, cancellationToken).ConfigureAwait(false))
            {
                return Why(LlmStatus.Timeout, $"the link to cluster {record.PeerClusterId} stayed taken for {SyncWaitText}");
            }

            held.Add(record.Lock);
        }

        return LlmStatus.Success;
    }

    /// <summary>The transfer budget, as reasons name it.</summary>
    private string SyncWaitText => $"llm.SyncKvCacheWaitTime {_options!.SyncWaitMs} ms";

    private void TraceFault(string name, string detail) =>
        _fabric.Trace?.Instant(_fabric.Loop.NowNs, "fault", name, TraceActor.World,
            ("cluster", ClusterId.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("detail", detail));
}
