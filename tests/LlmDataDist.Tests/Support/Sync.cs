namespace LlmDataDist.Tests.Support;

/// <summary>Runs a client call inside a (synchronous) FsCheck property.</summary>
public static class Sync
{
    /// <summary>
    /// The call's exception, or null when it succeeded. The RecordingBackend completes every call synchronously, so
    /// the task is done on return; anything else is a test bug and is reported as such rather than blocked on.
    /// </summary>
    public static Exception? Outcome(Func<ValueTask> call)
    {
        ValueTask task;
        try
        {
            task = call();
        }
        catch (Exception ex)
        {
            return ex;
        }

        if (!task.IsCompleted)
        {
            throw new InvalidOperationException("The client call did not complete synchronously against the RecordingBackend.");
        }

        try
        {
            task.GetAwaiter().GetResult();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}
