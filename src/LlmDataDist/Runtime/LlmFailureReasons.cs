using System.Collections.Concurrent;

namespace LlmDataDist;

/// <summary>
/// The side channel through which a backend says why a call failed, while the contract stays a status-only mirror of
/// the C++ API. The client marks the synchronous start of each backend method; a backend that keeps reasons reads
/// <see cref="CurrentCall"/> there, which numbers the call, records the reason under that number, and the client takes
/// it only after a failure status and puts it in the exception message. Each call has its own number, so concurrent
/// calls never see each other's reasons. Numbering happens only when a backend asks, so a backend that keeps no reasons
/// costs the client two thread-static writes per call and nothing is allocated.
/// </summary>
public static class LlmFailureReasons
{
    // 0: no client call is starting on this thread; Unnumbered: one is, and its backend has not asked for its number.
    private const long Unnumbered = -1;

    [ThreadStatic]
    private static long t_current;

    private static long s_last;

    /// <summary>The number of the client call whose backend method is starting on this thread; 0 outside one. A
    /// backend reads it before its first <c>await</c> and keeps it for the whole call.</summary>
    public static long CurrentCall
    {
        get
        {
            var current = t_current;
            if (current != Unnumbered)
            {
                return current;
            }

            current = Interlocked.Increment(ref s_last);
            t_current = current;
            return current;
        }
    }

    /// <summary>Marks the start of a backend method on this thread; its number is drawn when the backend asks.</summary>
    /// <returns>The mark it replaces (a backend may start a client call of its own), for <see cref="Exit"/>.</returns>
    internal static long Enter()
    {
        var outer = t_current;
        t_current = Unnumbered;
        return outer;
    }

    /// <summary>Ends the mark once the backend method returned its task and restores the outer one.</summary>
    /// <param name="outer">What <see cref="Enter"/> returned.</param>
    /// <returns>The call's number; 0 when the backend never asked (it keeps no reason to take).</returns>
    internal static long Exit(long outer)
    {
        var call = t_current;
        t_current = outer;
        return call == Unnumbered ? 0 : call;
    }

    /// <summary>The reason a backend recorded for a failed call, if it keeps reasons.</summary>
    /// <param name="backend">The backend.</param>
    /// <param name="call">The call's number.</param>
    /// <returns>The reason, or null.</returns>
    internal static string? Take(ILlmDataDistBackend backend, long call) =>
        call != 0 && backend is ILlmFailureReasonSource source ? source.TakeFailureReason(call) : null;
}

/// <summary>Implemented by a backend that can say which rule a failed call broke (the simulator always can).</summary>
public interface ILlmFailureReasonSource
{
    /// <summary>Returns and forgets the reason recorded for a call.</summary>
    /// <param name="call">The call's <see cref="LlmFailureReasons.CurrentCall"/>, as the backend read it at the start.</param>
    /// <returns>The reason, for example <c>dst block 4096 ≥ 64 rows</c>; null when none was recorded.</returns>
    string? TakeFailureReason(long call);
}

/// <summary>Where a backend keeps the reasons of failed calls until the client takes them. Thread-safe; the first
/// reason recorded for a call wins (the most specific rule is checked first); reasons nobody takes (a backend used
/// without the client) are dropped once too many accumulate.</summary>
public sealed class LlmFailureReasonBook
{
    private const int Capacity = 1024;
    private readonly ConcurrentDictionary<long, string> _reasons = new();

    /// <summary>Records why a call failed; does nothing outside a client call (number 0).</summary>
    /// <param name="call">The call's number.</param>
    /// <param name="reason">What rule failed, with the values involved.</param>
    public void Record(long call, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (call == 0)
        {
            return;
        }

        if (_reasons.Count >= Capacity)
        {
            _reasons.Clear();
        }

        _reasons.TryAdd(call, reason);
    }

    /// <summary>Returns and forgets the reason of a call.</summary>
    /// <param name="call">The call's number.</param>
    /// <returns>The reason, or null.</returns>
    public string? Take(long call) => _reasons.TryRemove(call, out var reason) ? reason : null;
}
