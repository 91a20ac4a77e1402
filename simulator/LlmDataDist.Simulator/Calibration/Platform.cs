namespace LlmDataDist.Simulator;

/// <summary>The Ascend server generation a topology models; it selects which calibrated path timings apply.</summary>
public enum Platform
{
    /// <summary>Atlas 800I A2: 8 × Ascend 910B per server, HCCS inside a server, RoCE between servers.</summary>
    A2,

    /// <summary>Atlas 800I A3: 16 × 910C dies per server, HCCS across the servers of a super-node, RoCE beyond.</summary>
    A3,
}
