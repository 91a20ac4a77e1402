namespace LlmDataDist.ModelTests;

/// <summary>
/// The seeds CI replays on every run. <see cref="Fixed"/> is the regular budget; <see cref="OnceFailed"/> holds every
/// seed that ever found a disagreement (add it with a comment naming what it found), and is never pruned.
/// </summary>
public static class Seeds
{
    public static IReadOnlyList<ulong> Fixed { get; } = [4, 5, 6, 7, 8, 9, 10, 11];

    public static IReadOnlyList<ulong> OnceFailed { get; } =
    [
        1, // CE unlink naming an unknown cluster twice: simulator REPEAT_REQUEST, reference NOT_YET_LINK; then a Decoder's malformed llm.ListenIpInfo
        2, // CE Initialize of a Decoder with a malformed llm.ListenIpInfo: simulator PARAM_INVALID, reference ignores the option
        3, // the same
    ];
}
