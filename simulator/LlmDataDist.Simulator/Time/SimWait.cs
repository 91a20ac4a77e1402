namespace LlmDataDist.Simulator;

/// <summary>
/// A promise completed by simulator code, registered with the loop under a description until it completes, so a
/// deadlock report can say what is still awaited ("link lock npu0->npu8 held by pull #3"). It completes with no
/// synchronization context current and without <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>, so
/// <c>ConfigureAwait(false)</c> continuations run inline on the loop thread and the others are posted to the loop.
/// </summary>
/// <typeparam name="T">The result type.</typeparam>
public sealed class SimWait<T> : IPendingWait
{
    private readonly SimLoop _loop;
    private readonly long _id;
    private readonly TaskCompletionSource<T> _source = new();

    private object? _describeState;
    private Func<object, string>? _describe;
    private string? _description;

    internal SimWait(SimLoop loop, long id, object describeState, Func<object, string> describe)
    {
        _loop = loop;
        _id = id;
        _describeState = describeState;
        _describe = describe;
    }

    /// <summary>What is awaited, as shown in deadlock reports (built on first read).</summary>
    public string Description
    {
        get
        {
            if (_description is null)
            {
                _description = _describe!(_describeState!);
                (_describeState, _describe) = (null, null);
            }

            return _description;
        }
    }

    /// <summary>The task that completes with the wait.</summary>
    public Task<T> Task => _source.Task;

    /// <summary>Completes the wait with a value; false if it was already complete.</summary>
    /// <param name="result">The value.</param>
    /// <returns>Whether this call completed it.</returns>
    public bool TrySetResult(T result) => Settle() && SimLoop.CompleteInline((_source, result), static s => s._source.TrySetResult(s.result));

    /// <summary>Completes the wait as canceled; false if it was already complete.</summary>
    /// <param name="cancellationToken">The token that caused the cancellation.</param>
    /// <returns>Whether this call completed it.</returns>
    public bool TrySetCanceled(CancellationToken cancellationToken = default) =>
        Settle() && SimLoop.CompleteInline((_source, cancellationToken), static s => s._source.TrySetCanceled(s.cancellationToken));

    /// <summary>Completes the wait with an exception; false if it was already complete.</summary>
    /// <param name="exception">The exception.</param>
    /// <returns>Whether this call completed it.</returns>
    public bool TrySetException(Exception exception) => Settle() && SimLoop.CompleteInline((_source, exception), static s => s._source.TrySetException(s.exception));

    /// <inheritdoc/>
    public override string ToString() => Description;

    // Unregister before completing: continuations run inline and may inspect the pending list.
    private bool Settle()
    {
        _loop.AssertOnLoopThread();
        if (_source.Task.IsCompleted)
        {
            return false;
        }

        _loop.RemovePendingWait(_id);
        return true;
    }
}
