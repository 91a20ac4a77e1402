namespace LlmDataDist.Simulator;

/// <summary>One entry of the loop's queue: a callback and its state, with no closure allocation of its own.</summary>
/// <param name="Callback">What to run.</param>
/// <param name="State">The callback's argument.</param>
/// <param name="UserCode">True for work posted through the synchronization context (await continuations, which run
/// with the loop as <see cref="SynchronizationContext.Current"/>); false for the simulator's own events, which run
/// with no context so that the tasks they complete can run <c>ConfigureAwait(false)</c> continuations inline.</param>
internal readonly record struct QueuedEvent(SendOrPostCallback Callback, object? State, bool UserCode);
