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

    public static string RepoRoot => typeof(NativeTestEnvironment).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "LlmddRepoRoot").Value!;

    public static string OutputDirectory => AppContext.BaseDirectory;
}
