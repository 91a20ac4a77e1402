using LlmDataDist.Conformance;

namespace LlmDataDist.Ascend.Tests;

/// <summary>The conformance suite against AscendBackend over the fake engine: the CE profile, in real time.</summary>
public sealed class NativeConformance : ConformanceSuite
{
    /// <summary>The fake engine models CE; its calls take real time, so cases that need modelled timing are skipped.</summary>
    protected override ConformanceCapabilities Capabilities => ConformanceCapabilities.CeProfile;

    protected override IConformanceHarness CreateHarness(ConformanceProfile profile) => new NativeHarness(profile);
}
