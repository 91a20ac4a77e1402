using System.Runtime.CompilerServices;
using System.Text;

namespace LlmDataDist.Simulator;

/// <summary>
/// A single-threaded discrete-event loop over virtual time in integer nanoseconds. Events run in (time, sequence)
/// order, so events scheduled for the same time run in the order they were scheduled, on any runtime. The loop is
/// the <see cref="SynchronizationContext"/> while it runs, so <c>await</c> continuations come back through its queue;
/// the clock jumps to the next event only when nothing is runnable now. Nothing reaches the thread pool, which makes a
/// run a pure function of its inputs.
/// </summary>
/// <remarks>
/// <para>Why continuations stay on the loop even with <c>ConfigureAwait(false)</c>: the runtime runs such a
/// continuation inline, on the completing thread, only where no custom synchronization context is current;
/// elsewhere it queues it to the thread pool. So the loop completes its promises (delays, waits, timers, transfer
/// outcomes) with no context current: <c>ConfigureAwait(false)</c> continuations then run inline on the loop thread,
/// and continuations that captured the loop are posted back to its queue. Code after a
/// <c>ConfigureAwait(false)</c> await therefore runs on the loop thread with no current context until it awaits a
/// loop promise again; <c>await loop.Yield()</c> brings the context back (plain <c>Task.Yield()</c> there would go
/// to the thread pool, and the loop would report it).</para>
/// </remarks>
public sealed class SimLoop : SynchronizationContext
{
    /// <summary>The default number of events one <see cref="Run"/> may execute before it is declared a livelock.</summary>
    public const long StepsMaxDefault = 50_000_000;

    private static readonly SendOrPostCallback RunAction = static state => ((Action)state!)();
    private static readonly SendOrPostCallback RunContinuation = static state => ((Action)state!)();
    private static readonly SendOrPostCallback FireHandle = static state => ((SimEventHandle)state!).Fire();

    // (time, sequence): the sequence breaks ties FIFO, so equal-time events keep their scheduling order.
    private readonly PriorityQueue<QueuedEvent, EventKey> _events = new();

    // Keyed by registration order, so reports list the oldest wait first, identically on every run.
    // Holds the waits, not their text: a description is built only when a report asks for it.
    // By id; a hash map (a wait is added and removed per transfer), sorted by id only when a report lists them.
    private readonly Dictionary<long, IPendingWait> _pendingWaits = [];
    private long _seq;
    private long _waitSeq;
    private int _runningThreadId;
    private string? _foreignWork;

    // Set when work from another thread reaches the loop; an idle loop waits on it briefly before calling the run a deadlock.
    private readonly object _foreignGate = new();

    /// <summary>How long an idle loop waits, in wall time, for escaped work to show itself before it reports a deadlock
    /// (long enough for the thread pool of a loaded machine).
    /// Only a run that is already failing waits: a healthy run never idles, so its outcome never depends on it.</summary>
    public static readonly TimeSpan ForeignWorkGrace = TimeSpan.FromSeconds(1);

    /// <summary>Creates a loop at virtual time zero.</summary>
    /// <param name="stepsMax">How many events one run may execute before it fails as a livelock.</param>
    public SimLoop(long stepsMax = StepsMaxDefault)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepsMax);
        StepsMax = stepsMax;
    }

    /// <summary>The current virtual time in ns. It only moves forward.</summary>
    public long NowNs { get; private set; }

    /// <summary>The step budget of one run.</summary>
    public long StepsMax { get; }

    /// <summary>Events executed over the loop's lifetime (canceled ones excluded).</summary>
    public long StepCount { get; private set; }

    /// <summary>Events queued, including canceled ones not yet skipped.</summary>
    public int QueuedEventCount => _events.Count;

    /// <summary>Whether a run is pumping the loop right now.</summary>
    public bool IsRunning => Volatile.Read(ref _runningThreadId) != 0;

    /// <summary>True unless a run is in progress on another thread. Between runs any one thread may set things up.</summary>
    public bool IsOnLoopThread
    {
        get
        {
            var running = Volatile.Read(ref _runningThreadId);
            return running == 0 || running == Environment.CurrentManagedThreadId;
        }
    }

    /// <summary>Extra text for failure reports, such as the seed, the fault plan and the trace tail, for replay.</summary>
    public Func<string>? FailureDetails { get; set; }

    /// <summary>Descriptions of the waits created by <see cref="CreateWait{T}"/> that have not completed, oldest first.</summary>
    public IReadOnlyList<string> PendingWaits => [.. _pendingWaits.OrderBy(w => w.Key).Select(w => w.Value.Description)];

    /// <summary>Throws when called from a thread other than the one running the loop: a continuation that escaped
    /// to the thread pool fails loudly here instead of corrupting state.</summary>
    /// <param name="caller">The calling member, filled in by the compiler.</param>
    /// <exception cref="InvalidOperationException">Called off the loop thread.</exception>
    public void AssertOnLoopThread([CallerMemberName] string caller = "")
    {
        if (!IsOnLoopThread)
        {
            var message = $"{caller} was called on thread {Environment.CurrentManagedThreadId}, off the simulation loop thread " +
                $"{Volatile.Read(ref _runningThreadId)}: some work escaped the loop (Task.Run, ContinueWith on the thread pool, " +
                "ConfigureAwait on a foreign task, a real timer?)";
            ReportForeignWork(message); // the run fails as ForeignThread even if the escaped code swallows this exception
            throw new InvalidOperationException(message);
        }
    }

    /// <summary>Throws at once when a simulated operation is started outside a run (it would wait for virtual time that
    /// never passes) or on another thread during one.</summary>
    /// <param name="operation">What was called, for the message.</param>
    /// <exception cref="InvalidOperationException">Not inside a run on the loop thread.</exception>
    public void AssertInsideRun(string operation)
    {
        if (!IsRunning)
        {
            throw new InvalidOperationException(
                $"{operation} was called outside a simulation run: simulated calls take virtual time, which passes only while " +
                "the world runs. Make the call inside world.Run(async () => { ... }) (or SimulationRunner.Run).");
        }

        AssertOnLoopThread(operation);
    }

    private void ReportForeignWork(string what)
    {
        Interlocked.CompareExchange(ref _foreignWork, what, null);
        lock (_foreignGate)
        {
            Monitor.PulseAll(_foreignGate);
        }
    }

    /// <summary>Runs <paramref name="action"/> at virtual time <paramref name="atNs"/>, after everything already
    /// scheduled for that time.</summary>
    /// <param name="atNs">When; not before <see cref="NowNs"/>.</param>
    /// <param name="action">What to run, on the loop thread.</param>
    public void At(long atNs, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        Enqueue(atNs, RunAction, action);
    }

    /// <summary>Runs <paramref name="action"/> after <paramref name="delayNs"/> of virtual time.</summary>
    /// <param name="delayNs">A non-negative delay.</param>
    /// <param name="action">What to run, on the loop thread.</param>
    public void After(long delayNs, Action action)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(delayNs);
        At(SimTime.AddSaturating(NowNs, delayNs), action);
    }

    /// <summary>Like <see cref="At"/>, but returns a handle that can cancel the action.</summary>
    /// <param name="atNs">When; not before <see cref="NowNs"/>.</param>
    /// <param name="action">What to run, on the loop thread.</param>
    /// <returns>The handle.</returns>
    public SimEventHandle Schedule(long atNs, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var handle = new SimEventHandle(atNs, action);
        Enqueue(atNs, FireHandle, handle);
        return handle;
    }

    /// <summary>A task that completes after <paramref name="delayNs"/> of virtual time, or is canceled by the token.</summary>
    /// <param name="delayNs">A non-negative delay; zero still yields to the queue.</param>
    /// <param name="cancellationToken">Cancels the delay.</param>
    /// <returns>The delay.</returns>
    public Task Delay(long delayNs, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(delayNs);
        AssertOnLoopThread();
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        var delay = new DelayOperation();
        delay.Watch(cancellationToken);
        Enqueue(SimTime.AddSaturating(NowNs, delayNs), DelayOperation.Complete, delay);
        return delay.Task;
    }

    /// <summary>Creates a promise that simulator code completes later, listed under <paramref name="description"/>
    /// in deadlock reports until it completes.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="description">What is awaited, for humans.</param>
    /// <returns>The wait.</returns>
    public SimWait<T> CreateWait<T>(string description)
    {
        ArgumentNullException.ThrowIfNull(description);
        return CreateDescribedWait<T>(description, static d => (string)d);
    }

    /// <summary>Like <see cref="CreateWait{T}(string)"/>, but the description is built from <paramref name="state"/>
    /// only if a report reads it: hot paths (one wait per transfer) then pay no string formatting.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="state">What the description is built from, kept until the wait completes.</param>
    /// <param name="describe">Builds the description; a static lambda, so the call allocates no closure.</param>
    /// <returns>The wait.</returns>
    internal SimWait<T> CreateDescribedWait<T>(object state, Func<object, string> describe)
    {
        AssertOnLoopThread();
        var id = ++_waitSeq;
        var wait = new SimWait<T>(this, id, state, describe);
        _pendingWaits.Add(id, wait);
        return wait;
    }

    /// <inheritdoc/>
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (!IsOnLoopThread)
        {
            // The queue is single-threaded: remember the escape and fail the run at its next step.
            ReportForeignWork($"a callback was posted from thread {Environment.CurrentManagedThreadId} (work escaped the loop: Task.Run, ContinueWith on the thread pool?)");
            return;
        }

        Enqueue(NowNs, d, state, userCode: true);
    }

    /// <summary>An awaitable that resumes the awaiting code through the loop's queue, with the loop as the current
    /// synchronization context: a <c>Task.Yield()</c> that also works after <c>ConfigureAwait(false)</c>.</summary>
    /// <returns>The awaitable.</returns>
    public SimYieldAwaitable Yield() => new(this);

    /// <summary>Runs <paramref name="complete"/> (which completes a task) with no synchronization context current, so
    /// that the task's <c>ConfigureAwait(false)</c> continuations run inline on the loop thread instead of going to
    /// the thread pool. Use it when simulator code completes a task from inside user-context code.</summary>
    /// <typeparam name="TState">The state type.</typeparam>
    /// <param name="state">Passed to <paramref name="complete"/>.</param>
    /// <param name="complete">Completes the task.</param>
    /// <returns>What <paramref name="complete"/> returns.</returns>
    public static bool CompleteInline<TState>(TState state, Func<TState, bool> complete)
    {
        ArgumentNullException.ThrowIfNull(complete);
        var saved = Current;
        SetSynchronizationContext(null);
        try
        {
            return complete(state);
        }
        finally
        {
            SetSynchronizationContext(saved);
        }
    }

    /// <inheritdoc/>
    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        AssertOnLoopThread();
        d(state);
    }

    /// <inheritdoc/>
    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Runs <paramref name="scenario"/> on this thread, pumping events until its task completes.</summary>
    /// <param name="scenario">The code to run; it starts at the current virtual time.</param>
    /// <exception cref="SimulationFailureException">Deadlock, step budget, a failed event, or foreign-thread work.</exception>
    public void Run(Func<Task> scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        Pump(scenario).GetAwaiter().GetResult();
    }

    /// <summary>Runs <paramref name="scenario"/> on this thread, pumping events until its task completes.</summary>
    /// <typeparam name="T">The scenario's result type.</typeparam>
    /// <param name="scenario">The code to run; it starts at the current virtual time.</param>
    /// <returns>The scenario's result.</returns>
    /// <exception cref="SimulationFailureException">Deadlock, step budget, a failed event, or foreign-thread work.</exception>
    public T Run<T>(Func<Task<T>> scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        return ((Task<T>)Pump(scenario)).GetAwaiter().GetResult();
    }

    internal void RemovePendingWait(long id) => _pendingWaits.Remove(id);

    /// <summary>Like <see cref="At"/> with a static callback and its state: hot paths then allocate no closure.</summary>
    internal void RunAt(long atNs, SendOrPostCallback callback, object? state) => Enqueue(atNs, callback, state);

    internal void PostContinuation(Action continuation) => Enqueue(NowNs, RunContinuation, continuation, userCode: true);

    private void Enqueue(long atNs, SendOrPostCallback callback, object? state, bool userCode = false)
    {
        AssertOnLoopThread();
        if (atNs < NowNs)
        {
            throw new ArgumentOutOfRangeException(nameof(atNs), atNs, $"time never goes back: now is {NowNs} ns");
        }

        _events.Enqueue(new QueuedEvent(callback, state, userCode), new EventKey(atNs, _seq++));
    }

    private Task Pump(Func<Task> scenario)
    {
        var thread = Environment.CurrentManagedThreadId;
        if (Interlocked.CompareExchange(ref _runningThreadId, thread, 0) != 0)
        {
            throw new InvalidOperationException("the loop is already running: runs do not nest");
        }

        var saved = Current;
        SetSynchronizationContext(this);
        var userContext = true;
        try
        {
            var root = scenario() ?? throw new InvalidOperationException("the scenario returned a null task");
            for (long step = 0; !root.IsCompleted; step++)
            {
                if (Volatile.Read(ref _foreignWork) is { } foreign)
                {
                    throw Failure(SimulationFailureKind.ForeignThread, foreign);
                }

                if (step >= StepsMax)
                {
                    throw Failure(SimulationFailureKind.StepBudgetExhausted, $"{StepsMax} steps run");
                }

                if (!_events.TryDequeue(out var next, out var key))
                {
                    // Idle but not done: either a real deadlock, or the scenario awaits work that escaped to another
                    // thread and has not come back yet. Give escaped work a moment to show itself, so it is reported as
                    // what it is (ForeignThread) instead of a deadlock.
                    if (AwaitForeignWork() is { } escaped)
                    {
                        throw Failure(SimulationFailureKind.ForeignThread, escaped);
                    }

                    throw Failure(SimulationFailureKind.Deadlock, "no event is queued");
                }

                if (next.State is ICancelableEvent { IsCanceled: true })
                {
                    continue; // skipped without moving the clock: a canceled timer must not make time pass
                }

                NowNs = key.AtNs;
                StepCount++;
                // User continuations run under the loop's context; the simulator's own events under none (see remarks).
                // Switching only on change keeps the common run of simulator events free of thread-static writes.
                if (next.UserCode != userContext)
                {
                    userContext = next.UserCode;
                    SetSynchronizationContext(userContext ? this : null);
                }
                try
                {
                    next.Callback(next.State);
                }
                catch (Exception ex) when (ex is not SimulationFailureException)
                {
                    throw Failure(SimulationFailureKind.EventFailed, $"{ex.GetType().Name}: {ex.Message}", ex);
                }
            }

            // Escaped work reports itself before its call throws, so a scenario that ended because of it (or swallowed
            // the exception) is still the ForeignThread failure, however the threads raced.
            if (Volatile.Read(ref _foreignWork) is { } escapedBeforeEnd)
            {
                throw Failure(SimulationFailureKind.ForeignThread, escapedBeforeEnd, root.Exception?.GetBaseException());
            }

            return root;
        }
        finally
        {
            SetSynchronizationContext(saved);
            Volatile.Write(ref _runningThreadId, 0);
        }
    }

    private string? AwaitForeignWork()
    {
        lock (_foreignGate)
        {
            if (Volatile.Read(ref _foreignWork) is null)
            {
                Monitor.Wait(_foreignGate, ForeignWorkGrace);
            }
        }

        return Volatile.Read(ref _foreignWork);
    }

    private SimulationFailureException Failure(SimulationFailureKind kind, string detail, Exception? inner = null)
    {
        var text = new StringBuilder(detail);
        var live = 0;
        long nextNs = long.MaxValue;
        foreach (var (item, key) in _events.UnorderedItems)
        {
            if (item.State is not ICancelableEvent { IsCanceled: true })
            {
                live++;
                nextNs = Math.Min(nextNs, key.AtNs);
            }
        }

        text.Append("; queued events: ").Append(live);
        if (live > 0)
        {
            text.Append(" (next at t=").Append(SimTime.Format(nextNs)).Append(')');
        }

        if (FailureDetails is { } details)
        {
            text.Append('\n').Append(details());
        }

        return new SimulationFailureException(kind, NowNs, PendingWaits, text.ToString(), inner);
    }
}
