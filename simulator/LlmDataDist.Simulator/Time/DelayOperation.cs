namespace LlmDataDist.Simulator;

/// <summary>The promise behind <see cref="SimLoop.Delay"/>: it is its own queue entry, so a delay costs one allocation,
/// and a canceled delay is skipped by the loop instead of moving the clock to its due time.</summary>
internal sealed class DelayOperation : TaskCompletionSource, ICancelableEvent
{
    // Completed by the loop, on the loop thread; continuations run inline there (no RunContinuationsAsynchronously),
    // which keeps even ConfigureAwait(false) continuations on the loop.
    public static readonly SendOrPostCallback Complete = static state => ((DelayOperation)state!).Finish();

    private CancellationTokenRegistration _registration;

    public bool IsCanceled => Task.IsCompleted;

    public void Watch(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            // Cancel may be called from user code running under the loop's context: complete without it (see SimLoop).
            _registration = cancellationToken.UnsafeRegister(
                static (state, token) => SimLoop.CompleteInline(((DelayOperation)state!, token), static s => s.Item1.TrySetCanceled(s.token)), this);
        }
    }

    private void Finish()
    {
        _registration.Dispose();
        TrySetResult();
    }
}
