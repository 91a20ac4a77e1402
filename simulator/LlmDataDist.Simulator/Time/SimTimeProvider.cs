namespace LlmDataDist.Simulator;

/// <summary>
/// A <see cref="TimeProvider"/> in the loop's virtual time: hand it to user code, and
/// <c>Task.Delay(TimeSpan, timeProvider)</c>, <c>new CancellationTokenSource(TimeSpan, timeProvider)</c> and
/// timestamps all run on the loop instead of the wall clock.
/// </summary>
/// <param name="loop">The loop whose clock this reads and on which timers fire.</param>
public sealed class SimTimeProvider(SimLoop loop) : TimeProvider
{
    /// <summary>Virtual time zero as a UTC date: fixed, so logged dates are the same in every run.</summary>
    public static readonly DateTimeOffset Epoch = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The loop.</summary>
    public SimLoop Loop { get; } = loop ?? throw new ArgumentNullException(nameof(loop));

    /// <summary>Nanosecond timestamps: <see cref="GetTimestamp"/> is the virtual time in ns.</summary>
    public override long TimestampFrequency => SimTime.NsPerSecond;

    /// <summary>UTC, so local-time formatting does not depend on the machine.</summary>
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => Epoch.AddTicks(Loop.NowNs / SimTime.NsPerTick);

    /// <inheritdoc/>
    public override long GetTimestamp() => Loop.NowNs;

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new SimTimer(Loop, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }
}
