namespace LlmDataDist.Conformance;

/// <summary>What a backend under test can do; a case that needs more is skipped with the missing capability named.</summary>
[Flags]
public enum ConformanceCapabilities
{
    /// <summary>Nothing beyond the contract.</summary>
    None = 0,

    /// <summary>Behaves like the CacheEngine (reference §0.1).</summary>
    CeProfile = 1,

    /// <summary>Behaves like the HIXL-era engine.</summary>
    HxProfile = 2,

    /// <summary>Call durations follow a model the test can rely on: a call is still in flight when the test starts the
    /// next one, a transfer outlasts a short wait, and elapsed time is measured on the harness's clock. The simulator's
    /// virtual time gives this; real threads and memcpy-speed transfers do not.</summary>
    ModelledTiming = 4,

    /// <summary>Everything the suite uses.</summary>
    All = CeProfile | HxProfile | ModelledTiming,
}
