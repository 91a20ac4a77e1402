using LlmDataDist.Ascend.Interop;

namespace LlmDataDist.Ascend;

/// <summary>
/// A native call with its state: the handle reference taken when the call was accepted and the arena holding its
/// marshalled arguments. Both are released in <see cref="Execute"/> after the native function returned,
/// whatever happened to the waiting caller.
/// </summary>
/// <typeparam name="TState">The marshalled arguments (pointers into the arena).</typeparam>
/// <typeparam name="TResult">What the call produces.</typeparam>
internal sealed class NativeCall<TState, TResult>(NativeInstanceHandle handle, NativeArena arena, TState state, Func<NativeInstanceHandle, TState, TResult> body) : NativeCall
{
    public TaskCompletionSource<TResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Execute()
    {
        // The references are released before the task completes: when the last call's task completes after a
        // Dispose, the destructor has run, so a caller that awaited every call knows the instance is gone.
        TResult result;
        try
        {
            result = body(handle, state);
        }
        catch (Exception e)
        {
            Release();
            Done.TrySetException(e);
            return;
        }

        Release();
        Done.TrySetResult(result);
    }

    /// <summary>For a call that was never queued.</summary>
    public void Release()
    {
        arena.Dispose();
        handle.DangerousRelease();
    }
}
