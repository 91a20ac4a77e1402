using System.Diagnostics;
using LlmDataDist.Samples.Simulated;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Tests.Determinism;

/// <summary>
/// Same seed and inputs, same trace: event by event in one process, and by hash across two separate processes
/// (the sample's <c>--trace-hash</c> mode runs the chaos pull workload of a seed and prints its hash).
/// </summary>
public sealed class TraceDeterminismTests
{
    private const string SampleAssembly = "LlmDataDist.Samples.Simulated.dll";

    [Theory]
    [InlineData(EngineProfile.CE)]
    [InlineData(EngineProfile.HX)]
    public void The_same_seed_gives_the_same_trace_event_by_event(EngineProfile profile)
    {
        var first = ChaosPullWorkload.Run(4, profile);
        var second = ChaosPullWorkload.Run(4, profile);
        Assert.True(first.Trace.Count > 100, $"only {first.Trace.Count} events");
        Assert.Contains(first.Pulls, p => p.Status != LlmStatus.Success); // seed 4 breaks transfers: recovery is in the trace too
        Assert.Equal(first.Trace.Count, second.Trace.Count);
        for (var i = 0; i < first.Trace.Events.Count; i++)
        {
            var (a, b) = (first.Trace.Events[i], second.Trace.Events[i]);
            Assert.True(a.TimeNs == b.TimeNs && a.DurationNs == b.DurationNs && a.Kind == b.Kind && a.Category == b.Category
                && a.Name == b.Name && a.Actor == b.Actor && a.Args.SequenceEqual(b.Args), $"event {i} differs:\n  {a}\n  {b}");
        }

        Assert.Equal(first.TraceHash, second.TraceHash);
        Assert.Equal(first.Calls, second.Calls);
        Assert.NotEqual(first.TraceHash, ChaosPullWorkload.Run(5, profile).TraceHash);
    }

    [Fact]
    public void The_same_seed_gives_the_same_trace_hash_in_two_separate_processes_and_another_seed_another_hash()
    {
        var first = TraceHashInNewProcess(7);
        var second = TraceHashInNewProcess(7);
        var other = TraceHashInNewProcess(8);
        Assert.Matches("^[0-9a-f]{16}$", first);
        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
        Assert.Equal(ChaosPullWorkload.Run(7).TraceHash, first); // and the same as in this process
    }

    /// <summary>Runs the sample's built assembly (copied next to this one by the project reference) in a new process.</summary>
    private static string TraceHashInNewProcess(ulong seed)
    {
        var sample = Path.Combine(AppContext.BaseDirectory, SampleAssembly);
        Assert.True(File.Exists(sample), $"{SampleAssembly} is not next to the test assembly");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(sample);
        start.ArgumentList.Add("--trace-hash");
        start.ArgumentList.Add(seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        // A guard against a stuck child, not a timing assertion.
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "the sample did not exit");
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {error.Result}");
        return output.Trim();
    }
}
