namespace LlmDataDist.ModelTests;

/// <summary>
/// The seeds CI replays on every run. <see cref="Fixed"/> is the regular budget; <see cref="OnceFailed"/> holds every
/// seed that ever found a disagreement (add it with a comment naming what it found), and is never pruned.
/// </summary>
public static class Seeds
{
    public static IReadOnlyList<ulong> Fixed { get; } = [1, 2, 3, 4, 5, 6, 7, 8];

    public static IReadOnlyList<ulong> OnceFailed { get; } =
    [
    ];
}
