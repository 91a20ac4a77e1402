using System.Text.Json;

namespace LlmDataDist.Simulator;

/// <summary>
/// Chrome trace-event JSON: <c>{"traceEvents": [...]}</c> with phase <c>X</c> for spans and <c>i</c> for instants,
/// <c>ts</c>/<c>dur</c> in microseconds (exact decimals of the ns times), and <c>M</c> metadata events naming each
/// process (server) and thread (NPU, host, link). Perfetto and chrome://tracing load it.
/// </summary>
internal static class ChromeTraceWriter
{
    public static void Write(IReadOnlyList<TraceEvent> events, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
        json.WriteStartObject();
        json.WriteString("displayTimeUnit", "ns");
        json.WriteStartArray("traceEvents");
        WriteNames(json, events);
        foreach (var e in events)
        {
            json.WriteStartObject();
            json.WriteString("name", e.Name);
            json.WriteString("cat", e.Category);
            json.WriteString("ph", e.Kind == TraceEventKind.Complete ? "X" : "i");
            json.WriteNumber("ts", Microseconds(e.TimeNs));
            if (e.Kind == TraceEventKind.Complete)
            {
                json.WriteNumber("dur", Microseconds(e.DurationNs));
            }
            else
            {
                json.WriteString("s", "t"); // instant scoped to its thread
            }

            json.WriteNumber("pid", e.Actor.ProcessId);
            json.WriteNumber("tid", e.Actor.ThreadId);
            json.WriteStartObject("args");
            foreach (var (key, value) in e.Args)
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    // decimal, not double: 1234567 ns is exactly 1234.567 us, with no float rounding in the output.
    private static decimal Microseconds(long ns) => ns / 1000m;

    private static void WriteNames(Utf8JsonWriter json, IReadOnlyList<TraceEvent> events)
    {
        var processes = new SortedSet<int>();
        var threads = new SortedDictionary<(int Pid, int Tid), string>();
        foreach (var e in events)
        {
            processes.Add(e.Actor.ProcessId);
            threads.TryAdd((e.Actor.ProcessId, e.Actor.ThreadId), e.Actor.Name);
        }

        foreach (var pid in processes)
        {
            Metadata(json, "process_name", pid, 0, pid == 0 ? "world" : $"server{pid - 1}");
        }

        foreach (var ((pid, tid), name) in threads)
        {
            Metadata(json, "thread_name", pid, tid, name);
        }
    }

    private static void Metadata(Utf8JsonWriter json, string kind, int pid, int tid, string name)
    {
        json.WriteStartObject();
        json.WriteString("name", kind);
        json.WriteString("ph", "M");
        json.WriteNumber("pid", pid);
        json.WriteNumber("tid", tid);
        json.WriteStartObject("args");
        json.WriteString("name", name);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
