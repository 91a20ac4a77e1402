using System.Runtime.CompilerServices;

namespace LlmDataDist.Simulator;

/// <summary>Awaitable of <see cref="SimLoop.Yield"/>: always suspends, and resumes through the loop's queue at the
/// current virtual time with the loop as the synchronization context.</summary>
/// <param name="loop">The loop.</param>
public readonly struct SimYieldAwaitable(SimLoop loop) : ICriticalNotifyCompletion
{
    /// <summary>Always false: yielding always goes through the queue.</summary>
    public bool IsCompleted => false;

    /// <summary>The awaiter (itself).</summary>
    /// <returns>This.</returns>
    public SimYieldAwaitable GetAwaiter() => this;

    /// <summary>Nothing to return.</summary>
    public void GetResult()
    {
    }

    /// <inheritdoc/>
    public void OnCompleted(Action continuation) => loop.PostContinuation(continuation);

    /// <inheritdoc/>
    public void UnsafeOnCompleted(Action continuation) => loop.PostContinuation(continuation);
}
