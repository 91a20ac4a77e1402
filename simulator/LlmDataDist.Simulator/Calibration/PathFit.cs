namespace LlmDataDist.Simulator;

/// <summary>The timing of one path and where it came from.</summary>
/// <param name="Key">The path.</param>
/// <param name="Timing">Its fitted constants.</param>
/// <param name="Points">How many measured points of this path the fit used (0 for a derived path).</param>
/// <param name="Origin">How the constants were obtained, in words (fitted, or derived from which path and ratio).</param>
public sealed record PathFit(PathKey Key, PathTiming Timing, int Points, string Origin);
