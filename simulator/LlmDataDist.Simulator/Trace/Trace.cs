using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace LlmDataDist.Simulator;

/// <summary>
/// Collects the events of a run and fingerprints them: a 64-bit XxHash64 over a canonical binary form of every
/// event in recording order (never <c>GetHashCode</c>, which is randomized per process). Same seed and same calls give
/// the same hash in any process; a single changed field, time or order changes it.
/// </summary>
/// <param name="keepEvents">Keep events for export and failure reports; scale runs may keep only the hash.</param>
public sealed class Trace(bool keepEvents = true)
{
    private readonly List<TraceEvent> _events = [];
    private readonly XxHash64 _hash = new();
    private readonly ArrayBufferWriter<byte> _scratch = new(256);

    /// <summary>Whether events are kept (otherwise only counted and hashed).</summary>
    public bool KeepsEvents { get; } = keepEvents;

    /// <summary>Events recorded so far, kept or not.</summary>
    public long Count { get; private set; }

    /// <summary>The kept events in recording order.</summary>
    public IReadOnlyList<TraceEvent> Events => _events;

    /// <summary>The fingerprint of every event recorded so far.</summary>
    public ulong Hash => _hash.GetCurrentHashAsUInt64();

    /// <summary>The fingerprint as 16 lowercase hex digits, as tests and the runner print it.</summary>
    public string HashHex => Hash.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>Records a point event.</summary>
    /// <param name="timeNs">Virtual time.</param>
    /// <param name="category">Category.</param>
    /// <param name="name">Name.</param>
    /// <param name="actor">Actor.</param>
    /// <param name="args">Details; sorted by key before recording.</param>
    /// <returns>The event.</returns>
    public TraceEvent Instant(long timeNs, string category, string name, TraceActor actor, params ReadOnlySpan<(string Key, string Value)> args) =>
        Record(new TraceEvent(timeNs, 0, TraceEventKind.Instant, category, name, actor, Sorted(args)));

    /// <summary>Records a span, usually when it ends.</summary>
    /// <param name="startNs">Virtual start time.</param>
    /// <param name="endNs">Virtual end time, not before the start.</param>
    /// <param name="category">Category.</param>
    /// <param name="name">Name.</param>
    /// <param name="actor">Actor.</param>
    /// <param name="args">Details; sorted by key before recording.</param>
    /// <returns>The event.</returns>
    public TraceEvent Complete(long startNs, long endNs, string category, string name, TraceActor actor, params ReadOnlySpan<(string Key, string Value)> args)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(endNs, startNs);
        return Record(new TraceEvent(startNs, endNs - startNs, TraceEventKind.Complete, category, name, actor, Sorted(args)));
    }

    /// <summary>Records a span like <see cref="Complete"/> without returning it: when events are not kept, the same
    /// bytes are hashed straight from the arguments, and no event, sorted copy or comparer runs (hot paths record about
    /// two events per request).</summary>
    internal void AddComplete(long startNs, long endNs, string category, string name, TraceActor actor, params ReadOnlySpan<(string Key, string Value)> args)
    {
        if (KeepsEvents)
        {
            Complete(startNs, endNs, category, name, actor, args);
            return;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(endNs, startNs);
        Count++;
        _scratch.ResetWrittenCount();
        WriteHeader(TraceEventKind.Complete, startNs, endNs - startNs, category, name, actor, args.Length);

        // The order Sorted gives (key, then value; a total order, so equal entries are identical bytes): an insertion
        // sort of indices, since there are only a handful.
        Span<int> order = args.Length <= 32 ? stackalloc int[args.Length] : new int[args.Length];
        for (var i = 0; i < order.Length; i++)
        {
            var j = i;
            for (; j > 0 && Compare(args[order[j - 1]], args[i]) > 0; j--)
            {
                order[j] = order[j - 1];
            }

            order[j] = i;
        }

        foreach (var i in order)
        {
            WriteString(args[i].Key);
            WriteString(args[i].Value);
        }

        _hash.Append(_scratch.WrittenSpan);
    }

    // Key, then value: a total order, so even duplicate keys cannot make the hash depend on sort stability.
    private static int Compare((string Key, string Value) a, (string Key, string Value) b)
    {
        var byKey = string.CompareOrdinal(a.Key, b.Key);
        return byKey != 0 ? byKey : string.CompareOrdinal(a.Value, b.Value);
    }

    /// <summary>Records an event as given (its args should already be sorted by key).</summary>
    /// <param name="traceEvent">The event.</param>
    /// <returns>The event.</returns>
    public TraceEvent Record(TraceEvent traceEvent)
    {
        ArgumentNullException.ThrowIfNull(traceEvent);
        Count++;
        Fingerprint(traceEvent);
        if (KeepsEvents)
        {
            _events.Add(traceEvent);
        }

        return traceEvent;
    }

    /// <summary>The last kept events as lines, for failure reports.</summary>
    /// <param name="count">How many.</param>
    /// <returns>Oldest first.</returns>
    public IReadOnlyList<string> Tail(int count) => [.. _events.Skip(Math.Max(0, _events.Count - count)).Select(e => e.ToString())];

    /// <summary>Writes the kept events as Chrome trace-event JSON (loads in Perfetto and chrome://tracing).</summary>
    /// <param name="stream">Destination.</param>
    public void WriteChromeJson(Stream stream) => ChromeTraceWriter.Write(_events, stream);

    /// <summary>The kept events as Chrome trace-event JSON text.</summary>
    /// <returns>The JSON.</returns>
    public string ToChromeJson()
    {
        using var stream = new MemoryStream();
        WriteChromeJson(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static KeyValuePair<string, string>[] Sorted(ReadOnlySpan<(string Key, string Value)> args)
    {
        var result = new KeyValuePair<string, string>[args.Length];
        for (var i = 0; i < args.Length; i++)
        {
            result[i] = new(args[i].Key, args[i].Value);
        }

        Array.Sort(result, static (a, b) => Compare((a.Key, a.Value), (b.Key, b.Value)));
        return result;
    }

    // Canonical form: kind byte, times as little-endian int64, strings as int32 length + UTF-8, ids as int32.
    // Length prefixes make field boundaries unambiguous ("a|b" + "c" never equals "a" + "b|c").
    private void Fingerprint(TraceEvent e)
    {
        _scratch.ResetWrittenCount();
        WriteHeader(e.Kind, e.TimeNs, e.DurationNs, e.Category, e.Name, e.Actor, e.Args.Count);
        foreach (var (key, value) in e.Args)
        {
            WriteString(key);
            WriteString(value);
        }

        _hash.Append(_scratch.WrittenSpan);
    }

    private void WriteHeader(TraceEventKind kind, long timeNs, long durationNs, string category, string name, TraceActor actor, int args)
    {
        WriteByte((byte)kind);
        WriteInt64(timeNs);
        WriteInt64(durationNs);
        WriteString(category);
        WriteString(name);
        WriteString(actor.Name);
        WriteInt64(((long)actor.ProcessId << 32) | (uint)actor.ThreadId);
        WriteInt64(args);
    }

    private void WriteByte(byte value)
    {
        _scratch.GetSpan(1)[0] = value;
        _scratch.Advance(1);
    }

    private void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_scratch.GetSpan(8), value);
        _scratch.Advance(8);
    }

    private void WriteString(string value)
    {
        // One pass over the text: encode after a 4-byte slot, then fill the length in (the bytes of counting first).
        var span = _scratch.GetSpan(4 + Encoding.UTF8.GetMaxByteCount(value.Length));
        var length = Encoding.UTF8.GetBytes(value, span[4..]);
        BinaryPrimitives.WriteInt32LittleEndian(span, length);
        _scratch.Advance(4 + length);
    }
}
