using FsCheck.Xunit;
using LlmDataDist.Tests.Support;
using static LlmDataDist.Tests.Support.Samples;

namespace LlmDataDist.Tests;

/// <summary>
/// For arbitrary block lists, layer ranges and sizes, the client rejects exactly the arguments the reference's rules
/// reject (with an ArgumentException and no backend call) and passes everything else through. The expected outcome is
/// spelled out from the reference here, independently of the client's code. On failure FsCheck prints the
/// counterexample and the seed to replay it.
/// </summary>
public class ValidationProperties
{
    [Property(MaxTest = 300)]
    public bool Block_lists_are_rejected_iff_empty_or_of_unequal_length(ulong[] srcBlocks, ulong[] dstBlocks, bool sameLength, bool push)
    {
        // Independent arrays rarely have equal lengths; half the cases force it so both outcomes are exercised.
        if (sameLength)
        {
            dstBlocks = [.. Enumerable.Range(0, srcBlocks.Length).Select(i => i < dstBlocks.Length ? dstBlocks[i] : (ulong)i)];
        }

        var (client, backend) = NewClient();
        var outcome = Sync.Outcome(() => push
            ? client.PushKvBlocksAsync(DeviceCache(), Remote(), srcBlocks, dstBlocks)
            : client.PullKvBlocksAsync(Remote(), DeviceCache(), srcBlocks, dstBlocks));

        var invalid = srcBlocks.Length == 0 || srcBlocks.Length != dstBlocks.Length;
        return Rejected(outcome, backend, invalid);
    }

    [Property(MaxTest = 300)]
    public bool Block_calls_require_batch_index_zero(uint batchIndex, bool push)
    {
        var (client, backend) = NewClient();
        var outcome = Sync.Outcome(() => push
            ? client.PushKvBlocksAsync(DeviceCache(), Remote(batchIndex: batchIndex), [1], [1])
            : client.PullKvBlocksAsync(Remote(batchIndex: batchIndex), DeviceCache(), [1], [1]));

        return Rejected(outcome, backend, batchIndex != 0);
    }

    [Property(MaxTest = 500)]
    public bool Layer_ranges_are_rejected_iff_malformed_or_push_lengths_differ(int srcFirst, int srcLength, int dstFirst, int dstLength, bool sameLength, byte tensorNumPerLayer, bool push)
    {
        // Ends drawn near the -1 boundary (first in -3..3, last = first - 2 .. first + 2) so well-formed, malformed and
        // equal-length ranges all come up often; uniform ints would almost never give a valid push.
        var src = Near(srcFirst, srcLength);
        var dst = Near(dstFirst, sameLength ? srcLength : dstLength);
        var (client, backend) = NewClient();
        var ext = new KvCacheExtParam(src, dst, tensorNumPerLayer);
        var outcome = Sync.Outcome(() => push
            ? client.PushKvCacheAsync(DeviceCache(), Remote(), extParam: ext)
            : client.PullKvCacheAsync(Remote(), DeviceCache(), extParam: ext));

        // Reference §9.10: both ends >= -1, first <= last, on each side; N > 0; a push needs equal range lengths.
        static bool WellFormed(LayerRange r) => r.First >= -1 && r.Last >= -1 && r.First <= r.Last;
        var invalid = !WellFormed(src) || !WellFormed(dst) || tensorNumPerLayer == 0
            || (push && src.Last - src.First != dst.Last - dst.First);
        return Rejected(outcome, backend, invalid);
    }

    [Property(MaxTest = 300)]
    public bool Arbitrary_int_layer_ranges_never_reach_the_backend_when_malformed(int first, int last)
    {
        var (client, backend) = NewClient();
        var range = new LayerRange(first, last);
        var outcome = Sync.Outcome(() => client.PullKvBlocksAsync(Remote(), DeviceCache(), [1], [1], new KvCacheExtParam(range, range, 2)));

        return Rejected(outcome, backend, !((long)first >= -1 && (long)last >= -1 && first <= last));
    }

    [Property(MaxTest = 300)]
    public bool Sizes_are_rejected_iff_not_minus_one_and_not_positive_or_for_a_push_not_minus_one(long size, int method)
    {
        var (client, backend) = NewClient();
        var kind = Math.Abs(method % 3);
        var outcome = Sync.Outcome(() => kind switch
        {
            0 => client.PullKvCacheAsync(Remote(), DeviceCache(), size: size),
            1 => client.CopyKvCacheAsync(DeviceCache(1), DeviceCache(2), size: size),
            _ => client.PushKvCacheAsync(DeviceCache(), Remote(), size: size),
        });

        var invalid = kind == 2 ? size != -1 : size != -1 && size <= 0;
        return Rejected(outcome, backend, invalid);
    }

    private static LayerRange Near(int first, int length)
    {
        var f = first % 4;
        return new LayerRange(f, f + (length % 3));
    }

    private static bool Rejected(Exception? outcome, RecordingBackend backend, bool expectRejected) =>
        expectRejected
            ? outcome is ArgumentException && backend.Calls.Count == 0
            : outcome is null && backend.Calls.Count == 1;
}
