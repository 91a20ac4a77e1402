using System.Runtime.InteropServices;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Backend;

// What a transfer copies, planned before the network prices it.
public sealed partial class SimulatedBackend
{
    /// <summary>One contiguous copy: bytes of a source tensor at an offset to a destination tensor at an offset.</summary>
    private readonly record struct Segment(int SourceTensor, long SourceOffset, int DestinationTensor, long DestinationOffset, long Bytes);

    /// <summary>
    /// The copies of one transfer, in the order they are written: either a list of segments, or, for a block pull,
    /// the grid blocks × tensor pairs (block-major), which means the same segments without writing out blocks × tensors
    /// entries per call (a thousand per request for a dense 8B model, most of a long run's time when materialised).
    /// </summary>
    private sealed class TransferPlan
    {
        private readonly List<Segment> _segments = [];
        private long[] _sourceOffsets = [];
        private long[] _destinationOffsets = [];
        private TensorPair[] _pairs = [];
        private int _blocks;
        private int _pairCount;
        private long _blockBytes;

        /// <summary>Whether the plan is a block grid rather than a segment list.</summary>
        public bool IsGrid { get; private set; }

        /// <summary>Adds one segment to a list plan.</summary>
        public void Add(Segment segment) => _segments.Add(segment);

        /// <summary>Makes this a block grid: block j of the source to block j of the destination, for every pair.</summary>
        public void SetGrid(IReadOnlyList<ulong> sourceBlocks, long sourceStride, IReadOnlyList<ulong> destinationBlocks, long destinationStride,
            IReadOnlyList<TensorPair> pairs, long blockBytes)
        {
            IsGrid = true;
            _blocks = sourceBlocks.Count;
            _blockBytes = blockBytes;
            Grow(ref _sourceOffsets, _blocks);
            Grow(ref _destinationOffsets, _blocks);
            for (var j = 0; j < _blocks; j++)
            {
                _sourceOffsets[j] = (long)sourceBlocks[j] * sourceStride;
                _destinationOffsets[j] = (long)destinationBlocks[j] * destinationStride;
            }

            _pairCount = pairs.Count;
            Grow(ref _pairs, _pairCount);
            for (var p = 0; p < _pairCount; p++)
            {
                _pairs[p] = pairs[p];
            }
        }

        private static void Grow<T>(ref T[] array, int length)
        {
            if (array.Length < length)
            {
                array = new T[length];
            }
        }

        /// <summary>Empties the plan for reuse.</summary>
        public void Clear()
        {
            _segments.Clear();
            IsGrid = false;
            _blocks = _pairCount = 0;
        }

        /// <summary>Total bytes of every segment.</summary>
        public long Bytes()
        {
            if (IsGrid)
            {
                return checked((long)_blocks * _pairCount * _blockBytes); // checked, as the per-segment sum
            }

            long bytes = 0;
            foreach (var s in CollectionsMarshal.AsSpan(_segments))
            {
                bytes = checked(bytes + s.Bytes);
            }

            return bytes;
        }

        /// <summary>Descriptors the engine sends: runs where source and destination both advance contiguously merge into one.</summary>
        public int Runs()
        {
            if (!IsGrid)
            {
                return RunsOf(CollectionsMarshal.AsSpan(_segments));
            }

            // The same count as RunsOf over the written-out segments. Within a block, neighbours share offsets, so
            // they merge only when they are the same pair and the block is empty; across blocks, the last pair of
            // block j-1 meets the first pair of block j.
            long merges = 0;
            for (var p = 1; p < _pairCount; p++)
            {
                merges += _pairs[p] == _pairs[p - 1] && _blockBytes == 0 ? _blocks : 0;
            }

            if (_pairCount > 0 && _pairs[_pairCount - 1] == _pairs[0])
            {
                for (var j = 1; j < _blocks; j++)
                {
                    merges += _sourceOffsets[j - 1] + _blockBytes == _sourceOffsets[j] && _destinationOffsets[j - 1] + _blockBytes == _destinationOffsets[j] ? 1 : 0;
                }
            }

            return Math.Max(1, (int)(((long)_blocks * _pairCount) - merges));
        }

        private static int RunsOf(ReadOnlySpan<Segment> all)
        {
            var runs = 0;
            for (var i = 0; i < all.Length; i++)
            {
                ref readonly var s = ref all[i];
                var merges = i > 0 && all[i - 1] is var p && p.SourceTensor == s.SourceTensor && p.DestinationTensor == s.DestinationTensor
                    && p.SourceOffset + p.Bytes == s.SourceOffset && p.DestinationOffset + p.Bytes == s.DestinationOffset;
                runs += merges ? 0 : 1;
            }

            return Math.Max(1, runs);
        }

        /// <summary>The segments in write order: the list itself, or the grid written out (for the rare paths that keep
        /// or group them: row tracking, late landing, real bytes).</summary>
        public List<Segment> Segments()
        {
            if (!IsGrid)
            {
                return _segments;
            }

            var all = new List<Segment>(_blocks * _pairCount);
            for (var j = 0; j < _blocks; j++)
            {
                for (var p = 0; p < _pairCount; p++)
                {
                    all.Add(new Segment(_pairs[p].Source, _sourceOffsets[j], _pairs[p].Destination, _destinationOffsets[j], _blockBytes));
                }
            }

            return all;
        }

        /// <summary>Grid only: whether every segment lies inside its tensors, checked as the furthest block end against
        /// each pair's tensors; and whether any of those tensors holds bytes.</summary>
        public (bool Fits, bool HoldsBytes) CheckGrid(MemorySystem memory, SimulatedCache source, SimulatedCache destination)
        {
            if (_blocks == 0 || _pairCount == 0)
            {
                return (true, false); // no segment to check
            }

            long sourceEnd = long.MinValue, destinationEnd = long.MinValue;
            for (var j = 0; j < _blocks; j++)
            {
                sourceEnd = Math.Max(sourceEnd, _sourceOffsets[j] + _blockBytes);
                destinationEnd = Math.Max(destinationEnd, _destinationOffsets[j] + _blockBytes);
            }

            // Usually every tensor of both caches resolves (remembered per cache): then only the block ends need checking.
            if (source.AllTensorsResolve(memory, out var sourceBytes) && destination.AllTensorsResolve(memory, out var destinationBytes))
            {
                return (sourceEnd <= source.Geometry.TensorBytes && destinationEnd <= destination.Geometry.TensorBytes, sourceBytes || destinationBytes);
            }

            var holdsBytes = false;
            for (var p = 0; p < _pairCount; p++)
            {
                // A resolved tensor's range is its whole TensorBytes, the length the per-segment check compares with.
                if (!memory.TryResolve(source.Addresses[_pairs[p].Source], source.Geometry.TensorBytes, out var from)
                    || !memory.TryResolve(destination.Addresses[_pairs[p].Destination], destination.Geometry.TensorBytes, out var to)
                    || sourceEnd > from.Length || destinationEnd > to.Length)
                {
                    return (false, false);
                }

                holdsBytes |= from.Buffer.HasBytes || to.Buffer.HasBytes;
            }

            return (true, holdsBytes);
        }
    }

    // A few plans suffice: an instance rarely has more transfers in flight.
    private const int PooledPlans = 4;
    private readonly Stack<TransferPlan> _plans = new();

    private TransferPlan RentPlan() => _plans.TryPop(out var plan) ? plan : new TransferPlan();

    /// <summary>Takes back a plan no one reads any more (late landing and row tracking copy what they keep).</summary>
    private void ReturnPlan(TransferPlan plan)
    {
        if (_plans.Count < PooledPlans)
        {
            plan.Clear();
            _plans.Push(plan);
        }
    }
}
