namespace LlmDataDist.Simulator.Scenarios;

/// <summary>One request of an arrival trace.</summary>
/// <param name="ArrivalNs">Arrival, in virtual ns from the opening of the arrival window.</param>
/// <param name="PromptTokens">Prompt (input) tokens.</param>
/// <param name="OutputTokens">Output tokens: decoding holds the KV blocks that long.</param>
public sealed record ArrivalRow(long ArrivalNs, int PromptTokens, int OutputTokens);
