namespace LlmDataDist.Simulator;

/// <summary>A wait the loop lists in failure reports until it completes.</summary>
internal interface IPendingWait
{
    /// <summary>What is awaited, for humans.</summary>
    string Description { get; }
}
