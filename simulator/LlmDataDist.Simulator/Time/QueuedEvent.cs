namespace LlmDataDist.Simulator;

/// <summary>One entry of the loop's queue: a callback and its state, with no closure allocation of its own.</summary>
/// <param name="Callback">What to run.</param>
/// <param name="State">The callback's argument.</param>
internal readonly record struct QueuedEvent(SendOrPostCallback Callback, object? State);
