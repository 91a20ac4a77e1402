namespace LlmDataDist.Simulator;

/// <summary>The outcome of <see cref="MemorySpace.Allocate"/>.</summary>
/// <param name="Status">Success, or why not.</param>
/// <param name="Buffer">The buffer on success, else null.</param>
public readonly record struct AllocationResult(AllocationStatus Status, SimBuffer? Buffer)
{
    /// <summary>Whether a buffer was allocated.</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(Buffer))]
    public bool IsSuccess => Status == AllocationStatus.Success && Buffer is not null;
}
