namespace LlmDataDist.Simulator;

/// <summary>A scheduled action that can still be canceled. Canceling is O(1): the entry stays queued and is skipped
/// when it comes up, without moving the clock.</summary>
public sealed class SimEventHandle : ICancelableEvent
{
    private Action? _action;

    internal SimEventHandle(long atNs, Action action)
    {
        AtNs = atNs;
        _action = action;
    }

    /// <summary>When the action runs, in virtual ns.</summary>
    public long AtNs { get; }

    /// <summary>Whether <see cref="Cancel"/> was called before the action ran.</summary>
    public bool IsCanceled { get; private set; }

    /// <summary>Whether the action has run.</summary>
    public bool HasRun { get; private set; }

    /// <summary>Prevents the action from running; no effect once it has run.</summary>
    public void Cancel()
    {
        if (!HasRun)
        {
            IsCanceled = true;
            _action = null; // drop references early: a canceled timer must not keep its target alive
        }
    }

    internal void Fire()
    {
        var action = _action;
        _action = null;
        HasRun = true;
        action?.Invoke();
    }
}
