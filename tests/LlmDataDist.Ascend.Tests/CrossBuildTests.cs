namespace LlmDataDist.Ascend.Tests;

/// <summary>
/// The native tree for aarch64, the architecture of most Atlas hosts: tests/native/cross-build-aarch64.sh cross-compiles
/// the fake engine, the shim and the C ABI driver with g++-aarch64-linux-gnu, checks that all three are ELF64 AArch64
/// and that the shim exports exactly the functions of llmdd_shim.h, then runs the driver's flow and hostile-input
/// checks under qemu-aarch64. CI (.ci/run) installs both tools; without them the test is skipped and names what is
/// missing.
/// </summary>
public sealed class CrossBuildTests
{
    private static readonly string[] RequiredTools = ["aarch64-linux-gnu-g++", "qemu-aarch64"];

    [SkippableFact]
    public void The_aarch64_build_exports_the_C_ABI_and_its_driver_passes_under_qemu()
    {
        var missing = RequiredTools.Where(tool => !IsOnPath(tool)).ToList();
        Skip.If(missing.Count > 0, $"{string.Join(" and ", missing)} not on PATH: install Debian's g++-aarch64-linux-gnu and qemu-user (.ci/run does) to cross-build and run the aarch64 driver");

        var script = Path.Combine(NativeTestEnvironment.RepoRoot, "tests", "native", "cross-build-aarch64.sh");
        var run = ChildProcess.Run("bash", [script, NativeTestEnvironment.Aarch64BuildDirectory], limit: TimeSpan.FromMinutes(10));
        var report = run.Output + run.Error;
        Assert.True(run.ExitCode == 0, $"cross-build-aarch64.sh exit code {run.ExitCode}:\n{report}");
        Assert.Matches(@"libllmdd_shim\.so exports the \d+ functions of llmdd_shim\.h and nothing else", report);
        Assert.Contains("running the aarch64 driver under qemu-aarch64", report);
        Assert.Matches(@"shim driver: \d+ checks, 0 failed", report);
        Assert.Contains("aarch64 cross build: OK", report);
    }

    private static bool IsOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, tool)));
}
