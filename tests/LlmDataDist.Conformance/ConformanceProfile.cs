namespace LlmDataDist.Conformance;

/// <summary>The engine a backend claims to behave like (reference §0.1).</summary>
public enum ConformanceProfile
{
    /// <summary>CacheEngine.</summary>
    CE,

    /// <summary>HIXL-era engine.</summary>
    HX,
}
