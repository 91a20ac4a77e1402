using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;
using LlmDataDist.Ascend.Interop;

namespace LlmDataDist.Ascend;

/// <summary>
/// A native call with its state: the handle reference taken when the call was accepted and the arena holding its
/// marshalled arguments. Both are released in <see cref="Execute"/> after the native function returned, whatever
/// happened to the waiting caller. The call is its own <see cref="IValueTaskSource{TResult}"/> and is pooled, so a
/// call allocates no task, no completion source and no work item.
/// </summary>
/// <remarks>
/// Up to three parties hold the object: the worker (until it has completed the source), the caller (until it took the
/// result) and, for a cancellable token, the token registration (until its callback can no longer run or has run).
/// The last one to let go returns it to the pool, so a recycled object is never reached through a stale reference.
/// Continuations run asynchronously (on the thread pool), never on a worker: a caller's continuation that blocks
/// would otherwise stall a worker, and one that waits for another native call could deadlock the pool.
/// </remarks>
/// <typeparam name="TState">The marshalled arguments (pointers into the arena).</typeparam>
/// <typeparam name="TResult">What the call produces.</typeparam>
internal sealed class NativeCall<TState, TResult> : NativeCall, IValueTaskSource<TResult>
{
    /// <summary>Objects kept per call type; more calls in flight than this allocate fresh ones.</summary>
    private const int PooledMax = 32;

    private static readonly ConcurrentQueue<NativeCall<TState, TResult>> Pool = new();
    private static readonly Action<object?, CancellationToken> OnCanceled = static (self, token) => ((NativeCall<TState, TResult>)self!).Cancel(token);
    private static int _pooled;

    private ManualResetValueTaskSourceCore<TResult> _core = new() { RunContinuationsAsynchronously = true };
    private NativeInstanceHandle? _handle;
    private NativeArena? _arena;
    private TState _state = default!;
    private Func<NativeInstanceHandle, TState, TResult>? _body;
    private CancellationTokenRegistration _registration;
    private bool _registered;

    /// <summary>1 once the worker or the token completed the source: the first one wins.</summary>
    private int _completed;

    /// <summary>1 once the caller took the result.</summary>
    private int _resultTaken;

    /// <summary>The parties still holding the object (worker, caller, token registration).</summary>
    private int _holders;

    private NativeCall()
    {
    }

    /// <summary>A call from the pool, ready to be queued; <see cref="Completion"/> is the caller's view of it.</summary>
    public static NativeCall<TState, TResult> Rent(NativeInstanceHandle handle, NativeArena arena, TState state, Func<NativeInstanceHandle, TState, TResult> body, CancellationToken cancellationToken)
    {
        NativeCall<TState, TResult> call;
        if (Pool.TryDequeue(out var pooled))
        {
            Interlocked.Decrement(ref _pooled);
            call = pooled;
        }
        else
        {
            call = new NativeCall<TState, TResult>();
        }

        call._handle = handle;
        call._arena = arena;
        call._state = state;
        call._body = body;
        call._registered = cancellationToken.CanBeCanceled;
        call._holders = call._registered ? 3 : 2;
        if (call._registered)
        {
            // May run the callback at once when the token was cancelled since the caller checked it.
            call._registration = cancellationToken.UnsafeRegister(OnCanceled, call);
        }

        return call;
    }

    /// <summary>The caller's view: completes when the native call returned, or at once when its token fires.</summary>
    public ValueTask<TResult> Completion => new(this, _core.Version);

    public override void Execute()
    {
        // The references are released before the source completes: when the last call's task completes after a
        // Dispose, the destructor has run, so a caller that awaited every call knows the instance is gone.
        TResult result = default!;
        Exception? error = null;
        try
        {
            result = _body!(_handle!, _state);
        }
        catch (Exception e)
        {
            error = e;
        }

        ReleaseNative();
        Complete(result, error);
    }

    /// <summary>For a call that was never queued: releases what it holds and fails the caller's view.</summary>
    public void Abandon(Exception error)
    {
        ReleaseNative();
        Complete(default!, error);
    }

    ValueTaskSourceStatus IValueTaskSource<TResult>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<TResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    TResult IValueTaskSource<TResult>.GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            // Only the first GetResult lets go: awaiting a ValueTask twice is a misuse, but must not recycle the
            // object under another caller.
            if (token == _core.Version && Interlocked.Exchange(ref _resultTaken, 1) == 0)
            {
                LetGo();
            }
        }
    }

    private void Complete(TResult result, Exception? error)
    {
        if (_registered && _registration.Unregister())
        {
            LetGo(); // the callback will never run
        }

        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            if (error is null)
            {
                _core.SetResult(result);
            }
            else
            {
                _core.SetException(error);
            }
        }

        LetGo();
    }

    private void Cancel(CancellationToken token)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            _core.SetException(new OperationCanceledException(token));
        }

        LetGo();
    }

    private void ReleaseNative()
    {
        _arena!.Dispose();
        _handle!.DangerousRelease();
        _arena = null;
        _handle = null;
    }

    private void LetGo()
    {
        if (Interlocked.Decrement(ref _holders) != 0)
        {
            return;
        }

        _state = default!;
        _body = null;
        _registration = default;
        _registered = false;
        _completed = 0;
        _resultTaken = 0;
        _core.Reset();
        if (Interlocked.Increment(ref _pooled) <= PooledMax)
        {
            Pool.Enqueue(this);
            return;
        }

        Interlocked.Decrement(ref _pooled);
    }
}
