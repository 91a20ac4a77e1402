namespace LlmDataDist.Simulator;

/// <summary>
/// A first-come, first-served lock in virtual time for the engines' serialisation points (reference §10: CE's per-link
/// lock and per-kind device-request queues, HX's per-link lock and push lock). A waiter gives up at its deadline.
/// Taking a free lock completes synchronously, so an uncontended call costs no event and no virtual time.
/// </summary>
/// <param name="loop">The loop.</param>
/// <param name="name">What the lock guards, for deadlock reports.</param>
public sealed class SimLock(SimLoop loop, string name)
{
    private readonly LinkedList<Waiter> _waiters = [];

    // Completed answers, shared: an uncontended acquire (most of them) then allocates nothing.
    private static readonly Task<bool> Granted = Task.FromResult(true);
    private static readonly Task<bool> TimedOut = Task.FromResult(false);
    private static readonly SendOrPostCallback Grant = static wait => ((SimWait<bool>)wait!).TrySetResult(true);

    /// <summary>What the lock guards.</summary>
    public string Name { get; } = name;

    /// <summary>Who holds the lock, or null when it is free.</summary>
    public object? Holder { get; private set; }

    /// <summary>Whether someone holds the lock.</summary>
    public bool IsHeld => Holder is not null;

    /// <summary>Takes the lock for <paramref name="holder"/>, waiting behind earlier waiters until
    /// <paramref name="deadlineNs"/> at most.</summary>
    /// <param name="holder">Who takes it (reported as the holder).</param>
    /// <param name="deadlineNs">When to give up.</param>
    /// <param name="cancellationToken">Cancels a wait that has not been granted.</param>
    /// <returns>True once held; false when the deadline came first.</returns>
    public Task<bool> AcquireAsync(object holder, long deadlineNs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(holder);
        loop.AssertOnLoopThread();
        if (Holder is null && _waiters.Count == 0)
        {
            Holder = holder;
            return Granted;
        }

        if (deadlineNs <= loop.NowNs)
        {
            return TimedOut;
        }

        var waiter = new Waiter(holder, loop.CreateWait<bool>($"{Name}, held by {Holder}"));
        var node = _waiters.AddLast(waiter);
        waiter.Timeout = loop.Schedule(deadlineNs, () =>
        {
            if (node.List is not null)
            {
                _waiters.Remove(node);
                waiter.Wait.TrySetResult(false);
            }
        });
        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.Register(() => loop.Post(_ =>
            {
                if (node.List is not null)
                {
                    _waiters.Remove(node);
                    waiter.Timeout.Cancel();
                    waiter.Wait.TrySetCanceled(cancellationToken);
                }
            }, null));
        }

        return waiter.Wait.Task;
    }

    /// <summary>Releases the lock; the oldest waiter gets it (its code resumes through the loop's queue).</summary>
    /// <param name="holder">Who releases it; must be the holder.</param>
    public void Release(object holder)
    {
        loop.AssertOnLoopThread();
        if (!ReferenceEquals(Holder, holder))
        {
            throw new InvalidOperationException($"{Name}: released by {holder}, held by {Holder?.ToString() ?? "nobody"}");
        }

        Holder = null;
        if (_waiters.First is not { } first)
        {
            return;
        }

        _waiters.RemoveFirst();
        var next = first.Value;
        next.Timeout!.Cancel();
        next.Registration.Dispose();
        Holder = next.Holder; // handed over now, so nobody can take it in between
        loop.RunAt(loop.NowNs, Grant, next.Wait);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({(Holder is null ? "free" : "held by " + Holder)}, {_waiters.Count} waiting)";

    private sealed class Waiter(object holder, SimWait<bool> wait)
    {
        public object Holder { get; } = holder;

        public SimWait<bool> Wait { get; } = wait;

        public SimEventHandle? Timeout { get; set; }

        public CancellationTokenRegistration Registration { get; set; }
    }
}
