namespace LlmDataDist.Simulator.Semantics;

/// <summary>
/// HX sends a pull as one request of destination tensor entries plus two entries (offset, length) per run of blocks
/// where source and destination both advance by one; the request holds at most <see cref="EntriesMax"/> entries
/// (reference §8, derived from the serialiser). CE has no such limit.
/// </summary>
internal static class PullRequest
{
    /// <summary>Entries one HX pull request may hold.</summary>
    public const long EntriesMax = 131_064;

    /// <summary>The entries of a pull of <paramref name="tensors"/> destination tensors and the given blocks (one run
    /// for a whole-row pull, <paramref name="srcBlocks"/> null).</summary>
    /// <param name="tensors">Destination tensors selected.</param>
    /// <param name="srcBlocks">Source blocks, or null for PullKvCache.</param>
    /// <param name="dstBlocks">Destination blocks, or null for PullKvCache.</param>
    /// <returns>The entry count.</returns>
    public static long Entries(int tensors, IReadOnlyList<ulong>? srcBlocks, IReadOnlyList<ulong>? dstBlocks)
    {
        long runs = 1;
        if (srcBlocks is not null && dstBlocks is not null)
        {
            for (var j = 1; j < srcBlocks.Count; j++)
            {
                if (srcBlocks[j] != srcBlocks[j - 1] + 1 || dstBlocks[j] != dstBlocks[j - 1] + 1)
                {
                    runs++;
                }
            }
        }

        return tensors + (2 * runs);
    }
}
