using System.Reflection;
using LlmDataDist.Ascend;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace LlmDataDist.Ascend.Tests;

/// <summary>
/// What every native test shares: one factory (the shim is loaded once per process; MSBuild copied it and the fake
/// engine beside this assembly) and where the repository is, for the tests that build native code themselves.
/// Tests run one class at a time: the fake engine's listeners and cluster ids live in one in-process registry.
/// </summary>
internal static class NativeTestEnvironment
{
    private static readonly Lazy<AscendBackendFactory> SharedFactory = new(() => new AscendBackendFactory(new AscendBackendOptions { WorkerCount = 4 }));

    public static AscendBackendFactory Factory => SharedFactory.Value;

    public static string RepoRoot => Metadata("LlmddRepoRoot");

    /// <summary>Where the sanitizer build of the native tree goes (beside the test project's other build output).</summary>
    public static string SanitizeBuildDirectory => Metadata("LlmddSanitizeBuildDir");

    /// <summary>Where the aarch64 cross build of the native tree goes.</summary>
    public static string Aarch64BuildDirectory => Metadata("LlmddAarch64BuildDir");

    public static string OutputDirectory => AppContext.BaseDirectory;

    private static string Metadata(string key) => typeof(NativeTestEnvironment).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
