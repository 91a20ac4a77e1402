using System.Globalization;
using LlmDataDist.Samples.Flows;

namespace LlmDataDist.Ascend.Tests;

/// <summary>The flows sample on both backends, its command line, and the probe's CSV schema.</summary>
public sealed class SampleTests
{
    private static readonly FlowSettings Settings = new(PromptIp: "10.2.0.1", DecoderIp: "10.2.0.2", Port: 27500);

    [Fact]
    public void The_official_flows_move_exactly_the_expected_bytes_on_the_simulator_and_on_the_fake_engine()
    {
        using var sim = new SimulatedEnvironment();
        using var native = new NativeEnvironment(hostVisibleMemory: true);
        foreach (FlowEnvironment env in new FlowEnvironment[] { sim, native })
        {
            var log = new StringWriter();
            var results = OfficialFlows.RunAll(env, Settings, log);
            Assert.Equal(3, results.Count);
            Assert.All(results, r => Assert.True(r.Verified == true, $"{r.Name}\n{log}"));
        }
    }

    [Fact]
    public void The_sample_runs_the_native_flows_from_its_command_line_with_the_shim_named_by_LLMDD_SHIM_PATH()
    {
        var run = ChildProcess.Dotnet("LlmDataDist.Samples.Flows.dll", ["flows", "--backend", "native", "--host-visible-memory", "--port", "27501"],
            new Dictionary<string, string> { ["LLMDD_SHIM_PATH"] = NativeTestEnvironment.OutputDirectory });
        Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}:\n{run.Output}\n{run.Error}");
        Assert.Equal(3, run.Output.Split('\n').Count(l => l.StartsWith("ok   (", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_sample_without_a_shim_fails_with_the_places_it_looked_in()
    {
        var missing = Path.Combine(Path.GetTempPath(), "llmdd-no-shim-here");
        var run = ChildProcess.Dotnet("LlmDataDist.Samples.Flows.dll", ["flows", "--backend", "native"], new Dictionary<string, string> { ["LLMDD_SHIM_PATH"] = missing });
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("DllNotFoundException", run.Output + run.Error);
        Assert.Contains($"LLMDD_SHIM_PATH={missing}", run.Output + run.Error);
    }

    [Fact]
    public void The_probe_writes_the_calibration_schema_for_every_block_size_and_direction()
    {
        using var native = new NativeEnvironment(hostVisibleMemory: true);
        var points = BandwidthProbe.Run(native, Settings with { Port = 27502 }, ("fake", "host", "memcpy"), totalBytes: 4 << 20, repeats: 1, TextWriter.Null);
        var csv = new StringWriter();
        BandwidthProbe.WriteCsv(points, csv);
        var lines = csv.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

        Assert.Equal("platform,transport,path,direction,block_bytes,total_bytes,gbps", lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(BandwidthProbe.BlockSizes.Count * 2, rows.Length);
        Assert.Equal(
            BandwidthProbe.BlockSizes.SelectMany(b => new[] { $"rD2D/{b}", $"D2rD/{b}" }).Order(),
            rows.Select(r => $"{r[3]}/{r[4]}").Order());
        Assert.All(rows, r =>
        {
            Assert.Equal(["fake", "host", "memcpy"], r[..3]);
            Assert.Equal(4L << 20, long.Parse(r[5], CultureInfo.InvariantCulture));
            Assert.True(double.Parse(r[6], CultureInfo.InvariantCulture) > 0);
        });
    }
}
