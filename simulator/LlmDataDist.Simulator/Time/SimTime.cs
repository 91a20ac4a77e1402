using System.Globalization;

namespace LlmDataDist.Simulator;

/// <summary>Units and formatting of virtual time, which is always a <see cref="long"/> count of nanoseconds.</summary>
public static class SimTime
{
    /// <summary>Nanoseconds in one microsecond.</summary>
    public const long NsPerUs = 1_000;

    /// <summary>Nanoseconds in one millisecond.</summary>
    public const long NsPerMs = 1_000_000;

    /// <summary>Nanoseconds in one second.</summary>
    public const long NsPerSecond = 1_000_000_000;

    /// <summary>Nanoseconds in one <see cref="TimeSpan"/> tick (100 ns).</summary>
    public const long NsPerTick = 100;

    /// <summary>Converts a <see cref="TimeSpan"/> to nanoseconds, saturating at <see cref="long.MaxValue"/> instead of overflowing.</summary>
    /// <param name="value">A non-negative span.</param>
    /// <returns>The span in nanoseconds.</returns>
    public static long FromTimeSpan(TimeSpan value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
        // TimeSpan.MaxValue in ns does not fit a long: saturate, since "forever" is what such spans mean.
        return value.Ticks > long.MaxValue / NsPerTick ? long.MaxValue : value.Ticks * NsPerTick;
    }

    /// <summary>Converts nanoseconds to a <see cref="TimeSpan"/> (truncated to whole 100 ns ticks).</summary>
    /// <param name="ns">Nanoseconds.</param>
    /// <returns>The span.</returns>
    public static TimeSpan ToTimeSpan(long ns) => TimeSpan.FromTicks(ns / NsPerTick);

    /// <summary>Adds a delay to a time, saturating at <see cref="long.MaxValue"/> (which means "never").</summary>
    /// <param name="atNs">A point in virtual time.</param>
    /// <param name="delayNs">A non-negative delay.</param>
    /// <returns><paramref name="atNs"/> + <paramref name="delayNs"/>, or <see cref="long.MaxValue"/> on overflow.</returns>
    public static long AddSaturating(long atNs, long delayNs) => delayNs > long.MaxValue - atNs ? long.MaxValue : atNs + delayNs;

    /// <summary>Formats virtual time for humans as milliseconds with nanosecond digits, e.g. <c>1.204000ms</c>.</summary>
    /// <param name="ns">Nanoseconds.</param>
    /// <returns>The formatted time; <c>never</c> for <see cref="long.MaxValue"/>.</returns>
    public static string Format(long ns)
    {
        if (ns == long.MaxValue)
        {
            return "never";
        }

        // Integer arithmetic only: the text goes into traces, whose hash must not depend on float formatting.
        var sign = ns < 0 ? "-" : "";
        var abs = ns < 0 ? -(decimal)ns : ns;
        var ms = decimal.Truncate(abs / NsPerMs);
        var rest = abs - (ms * NsPerMs);
        return string.Create(CultureInfo.InvariantCulture, $"{sign}{ms}.{rest:000000}ms");
    }
}
