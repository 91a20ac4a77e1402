namespace LlmDataDist.Simulator;

/// <summary>An <see cref="ITimer"/> firing on the loop in virtual time, with the BCL timer's
/// semantics: infinite due time = stopped; zero or infinite period = one shot.</summary>
internal sealed class SimTimer(SimLoop loop, TimerCallback callback, object? state) : ITimer
{
    private SimEventHandle? _next;
    private long _periodNs;
    private bool _disposed;

    public bool Change(TimeSpan dueTime, TimeSpan period)
    {
        ValidateSpan(dueTime, nameof(dueTime));
        ValidateSpan(period, nameof(period));
        if (_disposed)
        {
            return false;
        }

        _next?.Cancel();
        _next = null;
        _periodNs = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? 0 : SimTime.FromTimeSpan(period);
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            Arm(SimTime.FromTimeSpan(dueTime));
        }

        return true;
    }

    public void Dispose()
    {
        _disposed = true;
        _next?.Cancel();
        _next = null;
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static void ValidateSpan(TimeSpan span, string name)
    {
        if (span < TimeSpan.Zero && span != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(name, span, "a timer span is non-negative or infinite");
        }
    }

    private void Arm(long delayNs) => _next = loop.Schedule(SimTime.AddSaturating(loop.NowNs, delayNs), Fire);

    private void Fire()
    {
        _next = null;
        if (_periodNs > 0)
        {
            Arm(_periodNs); // re-arm first, so the callback may Change or Dispose the timer
        }

        callback(state);
    }
}
