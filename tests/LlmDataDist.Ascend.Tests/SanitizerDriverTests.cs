namespace LlmDataDist.Ascend.Tests;

/// <summary>
/// The shim's C ABI driver (tests/native/shim-driver: a prompt/decoder flow with byte checks, then hostile input —
/// nulls, bad lengths, huge vectors, calls after Finalize) built with AddressSanitizer and UndefinedBehaviorSanitizer
/// over the fake engine, in its own CMake tree. Every finding aborts the driver, so a clean run is exit code 0.
/// </summary>
public sealed class SanitizerDriverTests
{
    [Fact]
    public void The_shim_driver_runs_clean_under_AddressSanitizer_and_UndefinedBehaviorSanitizer()
    {
        var source = Path.Combine(NativeTestEnvironment.RepoRoot, "tests", "native");
        var build = NativeTestEnvironment.SanitizeBuildDirectory;
        var configure = ChildProcess.Run("cmake", ["-S", source, "-B", build, "-DCMAKE_BUILD_TYPE=Debug", "-DLLMDD_SANITIZE=ON"], limit: TimeSpan.FromMinutes(5));
        Assert.True(configure.ExitCode == 0, $"cmake configure failed:\n{configure.Output}\n{configure.Error}");
        var compile = ChildProcess.Run("cmake", ["--build", build, "--parallel", "2", "--target", "llmdd_shim_driver"], limit: TimeSpan.FromMinutes(10));
        Assert.True(compile.ExitCode == 0, $"cmake build failed:\n{compile.Output}\n{compile.Error}");

        var driver = ChildProcess.Run(Path.Combine(build, "bin", "llmdd_shim_driver"), [], new Dictionary<string, string>
        {
            ["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0",
            ["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1",
        });
        var report = driver.Output + driver.Error;
        Assert.True(driver.ExitCode == 0, $"driver exit code {driver.ExitCode}:\n{report}");
        Assert.DoesNotContain("ERROR: AddressSanitizer", report);
        Assert.DoesNotContain("ERROR: LeakSanitizer", report);
        Assert.DoesNotContain("runtime error:", report);
        Assert.Matches(@"shim driver: \d+ checks, 0 failed", report);
    }
}
