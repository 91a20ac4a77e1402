using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using LlmDataDist.Simulator;

namespace LlmDataDist.Testing;

/// <summary>
/// FsCheck generators for LLM-DataDist arguments and deployments, each with a shrinker that keeps the case in its class
/// (a valid value shrinks to simpler valid values; an invalid one to simpler values that break the same rule). Use them
/// with <c>Prop.ForAll(LlmArbitraries.CacheDescs(), desc =&gt; …)</c> or through <see cref="SimulationProperty"/>.
/// The rules are those of the LLM-DataDist reference (§3 data types, §4 sizes and layers, §9.10 layer selection,
/// §9.12 block lists); the classifiers (<see cref="DefectOf(CacheDesc)"/> and friends) say which rule a value breaks.
/// </summary>
public static class LlmArbitraries
{
    /// <summary>Whole-byte data types CE can size on the device (reference §3, "CE AllocateCache" column). Sub-byte
    /// types are left out on purpose: their rows can overlap (reference §4.4 example 4).</summary>
    public static IReadOnlyList<DataType> DeviceDataTypes { get; } =
    [
        DataType.Int8, DataType.Uint8, DataType.Bool, DataType.Qint8, DataType.Quint8, DataType.Float16, DataType.Bf16,
        DataType.Int16, DataType.Uint16, DataType.Qint16, DataType.Quint16, DataType.Float, DataType.Int32, DataType.Uint32,
        DataType.Qint32, DataType.Dual, DataType.Int64, DataType.Uint64, DataType.Double,
    ];

    /// <summary>Data types CE cannot size on the device (reference §3), including values outside the enum.</summary>
    public static IReadOnlyList<DataType> NonDeviceDataTypes { get; } =
    [
        DataType.String, DataType.DualSubInt8, DataType.DualSubUint8, DataType.Complex64, DataType.Complex128, DataType.Resource,
        DataType.StringRef, DataType.Variant, DataType.Undefined, DataType.Complex32, DataType.Hifloat8, DataType.Float8E5m2,
        DataType.Float8E4m3fn, DataType.Float8E8m0, DataType.Float6E3m2, DataType.Float6E2m3, DataType.Float4E2m1,
        DataType.Float4E1m2, (DataType)5, (DataType)(-1), (DataType)99,
    ];

    private static readonly HashSet<DataType> DeviceDataTypeSet = [.. DeviceDataTypes];

    // ------------------------------------------------------------------ seeds

    /// <summary>World seeds in 0..<paramref name="max"/>, shrinking toward 0 (small seeds are easy to type in a replay).</summary>
    /// <param name="max">The largest seed; at most <see cref="int.MaxValue"/>.</param>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<ulong> Seeds(int max = 1 << 20)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        return Gen.Choose(0, max).Select(s => (ulong)s).WithShrinker(ShrinkTowardZero);
    }

    // ------------------------------------------------------------------ cache descriptors

    /// <summary>Descriptors CE <c>AllocateCache</c> accepts and HX <c>RegisterKvCache</c> can describe: device placement,
    /// a whole-byte device data type, rank 1..3, every dimension positive, and at most
    /// <paramref name="tensorBytesMax"/> bytes per tensor (so rows divide evenly: <c>stride = tensor_bytes / rows</c>).</summary>
    /// <param name="tensorsMax">Tensors, at most this many (at least <paramref name="tensorMultiple"/>).</param>
    /// <param name="rowsMin">Rows (<c>shape[0]</c>: batches or blocks), at least.</param>
    /// <param name="rowsMax">Rows, at most.</param>
    /// <param name="tensorMultiple">The tensor count is a multiple of this (e.g. 2 for K,V layers).</param>
    /// <param name="tensorBytesMax">Bytes per tensor, at most.</param>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<CacheDesc> CacheDescs(int tensorsMax = 8, int rowsMin = 1, int rowsMax = 16, int tensorMultiple = 1, long tensorBytesMax = 64 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tensorMultiple);
        ArgumentOutOfRangeException.ThrowIfLessThan(tensorsMax, tensorMultiple);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowsMin);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsMax, rowsMin);
        ArgumentOutOfRangeException.ThrowIfLessThan(tensorBytesMax, rowsMax * 8L);
        bool Fits(CacheDesc d) => DefectOf(d) is null && d.NumTensors % tensorMultiple == 0 && d.NumTensors <= tensorsMax
            && d.Shape[0] >= rowsMin && d.Shape[0] <= rowsMax && d.Shape.Count <= 3 && TensorBytes(d) <= tensorBytesMax;

        var gen =
            from groups in Gen.Choose(1, tensorsMax / tensorMultiple)
            from type in Gen.Elements(DeviceDataTypes.ToArray())
            from rows in Gen.Choose(rowsMin, rowsMax)
            from rank in Gen.Choose(1, 3)
            from dims in Gen.ArrayOf(Gen.Choose(1, 8), rank - 1)
            select new CacheDesc(CachePlacement.Device, (uint)(groups * tensorMultiple), type, [rows, .. dims.Select(d => (long)d)]);
        return gen.Where(Fits).WithShrinker(d => ShrinkDesc(d, tensorMultiple, rowsMin).Where(Fits));
    }

    /// <summary>Descriptors that break exactly one of CE <c>AllocateCache</c>'s rules (reference §9.8 steps 2–6).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<InvalidCacheDesc> InvalidCacheDescs()
    {
        var valid = CacheDescs().Generator;
        var gen =
            from desc in valid
            from defect in Gen.Elements(Enum.GetValues<CacheDescDefect>())
            from bad in Break(desc, defect)
            select new InvalidCacheDesc(bad, defect);
        return gen.WithShrinker(c => ShrinkDesc(c.Desc, 1, 1).Where(d => DefectOf(d) == c.Defect).Select(d => c with { Desc = d }));

        static Gen<CacheDesc> Break(CacheDesc d, CacheDescDefect defect) => defect switch
        {
            CacheDescDefect.ZeroTensors => Gen.Constant(d with { NumTensors = 0 }),
            CacheDescDefect.HostPlacement => Gen.Constant(d with { Placement = CachePlacement.Host }),
            CacheDescDefect.EmptyShape => Gen.Constant(d with { Shape = [] }),
            CacheDescDefect.RankTooLarge => Gen.Choose(32, 40).Select(rank => d with { Shape = [.. Enumerable.Repeat(1L, rank)] }),
            CacheDescDefect.NonPositiveDimension =>
                from at in Gen.Choose(0, d.Shape.Count - 1)
                from value in Gen.Elements(0L, -1L, -64L, long.MinValue)
                select d with { Shape = [.. d.Shape.Select((x, i) => i == at ? value : x)] },
            _ => Gen.Elements(NonDeviceDataTypes.ToArray()).Select(t => d with { DataType = t }),
        };
    }

    /// <summary>The first of CE <c>AllocateCache</c>'s argument rules a descriptor breaks, in the engine's order, or null
    /// when it is valid (it may still not fit the device pool).</summary>
    /// <param name="desc">The descriptor.</param>
    /// <returns>The defect, or null.</returns>
    public static CacheDescDefect? DefectOf(CacheDesc desc)
    {
        ArgumentNullException.ThrowIfNull(desc);
        if (desc.NumTensors == 0)
        {
            return CacheDescDefect.ZeroTensors;
        }

        if (desc.Placement != CachePlacement.Device)
        {
            return CacheDescDefect.HostPlacement;
        }

        if (desc.Shape.Count == 0)
        {
            return CacheDescDefect.EmptyShape;
        }

        if (desc.Shape.Count >= 32)
        {
            return CacheDescDefect.RankTooLarge;
        }

        if (!DeviceDataTypeSet.Contains(desc.DataType) && !IsSubByteDeviceType(desc.DataType))
        {
            return CacheDescDefect.NotDeviceAllocatable;
        }

        return desc.Shape.Any(d => d <= 0) ? CacheDescDefect.NonPositiveDimension : null;
    }

    /// <summary>Bytes of one tensor of a valid descriptor of a whole-byte type (reference §4.2).</summary>
    /// <param name="desc">The descriptor.</param>
    /// <returns>The bytes.</returns>
    public static long TensorBytes(CacheDesc desc)
    {
        ArgumentNullException.ThrowIfNull(desc);
        return checked(desc.Shape.Aggregate(1L, (a, b) => a * b) * ElementBytes(desc.DataType));
    }

    /// <summary>Bytes of one row (a batch, or a block) of a valid descriptor: <c>tensor_bytes / rows</c>.</summary>
    /// <param name="desc">The descriptor.</param>
    /// <returns>The bytes.</returns>
    public static long RowBytes(CacheDesc desc) => TensorBytes(desc) / Required(desc).Shape[0];

    // ------------------------------------------------------------------ block lists

    /// <summary>Pairs of equal-length, non-empty block lists within the caches' rows: every source block below
    /// <paramref name="sourceRows"/>, every destination block below <paramref name="destinationRows"/>.</summary>
    /// <param name="sourceRows">Rows of the source cache.</param>
    /// <param name="destinationRows">Rows of the destination cache.</param>
    /// <param name="lengthMax">At most this many pairs.</param>
    /// <param name="distinctDestinations">No destination block twice (the real engines' order for duplicates is
    /// unconfirmed, reference §9.12), so the expected bytes are well defined. On by default.</param>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<BlockPairs> BlockPairs(long sourceRows, long destinationRows, int lengthMax = 8, bool distinctDestinations = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sourceRows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(destinationRows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(lengthMax);
        var max = distinctDestinations ? (int)Math.Min(lengthMax, destinationRows) : lengthMax;
        bool Valid(BlockPairs b) => BlockDefectOf(b, sourceRows, destinationRows) is null
            && (!distinctDestinations || b.Destination.Distinct().Count() == b.Destination.Count);

        var gen =
            from length in Gen.Choose(1, max)
            from source in Gen.ArrayOf(Index(sourceRows), length)
            from destination in distinctDestinations ? Distinct(destinationRows, length) : Gen.ArrayOf(Index(destinationRows), length)
            select new BlockPairs(source, destination);
        return gen.WithShrinker(b => ShrinkBlocks(b).Where(Valid));
    }

    /// <summary>Block-list pairs that break one rule: empty, unequal lengths (both rejected by the typed client), or a block
    /// past the rows of its cache (the backend's <c>LLM_PARAM_INVALID</c>).</summary>
    /// <param name="sourceRows">Rows of the source cache.</param>
    /// <param name="destinationRows">Rows of the destination cache.</param>
    /// <param name="lengthMax">At most this many blocks per list.</param>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<InvalidBlockPairs> InvalidBlockPairs(long sourceRows, long destinationRows, int lengthMax = 8)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sourceRows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(destinationRows);
        ArgumentOutOfRangeException.ThrowIfLessThan(lengthMax, 2);
        var beyondSource = Gen.Frequency((4, Gen.Choose(0, 4).Select(x => (ulong)sourceRows + (ulong)x)), (1, Gen.Constant(ulong.MaxValue)));
        var beyondDestination = Gen.Frequency((4, Gen.Choose(0, 4).Select(x => (ulong)destinationRows + (ulong)x)), (1, Gen.Constant(ulong.MaxValue)));
        var gen = Gen.Elements(Enum.GetValues<BlockListDefect>()).SelectMany(defect => (defect switch
        {
            BlockListDefect.Empty => Gen.Constant(new BlockPairs([], [])),
            BlockListDefect.UnequalLength =>
                from n in Gen.Choose(0, lengthMax)
                from m in Gen.Choose(0, lengthMax).Where(m => m != n)
                from source in Gen.ArrayOf(Index(sourceRows), n)
                from destination in Gen.ArrayOf(Index(destinationRows), m)
                select new BlockPairs(source, destination),
            BlockListDefect.SourceOutOfRange =>
                from n in Gen.Choose(1, lengthMax)
                from at in Gen.Choose(0, n - 1)
                from bad in beyondSource
                from source in Gen.ArrayOf(Index(sourceRows), n)
                from destination in Gen.ArrayOf(Index(destinationRows), n)
                select new BlockPairs([.. source.Select((s, i) => i == at ? bad : s)], destination),
            _ =>
                from n in Gen.Choose(1, lengthMax)
                from at in Gen.Choose(0, n - 1)
                from bad in beyondDestination
                from source in Gen.ArrayOf(Index(sourceRows), n)
                from destination in Gen.ArrayOf(Index(destinationRows), n)
                select new BlockPairs(source, [.. destination.Select((d, i) => i == at ? bad : d)]),
        }).Select(b => new InvalidBlockPairs(b, defect)));
        return gen.WithShrinker(c => ShrinkBlocks(c.Blocks, keepLengthsApart: c.Defect == BlockListDefect.UnequalLength)
            .Where(b => BlockDefectOf(b, sourceRows, destinationRows) == c.Defect)
            .Select(b => c with { Blocks = b }));
    }

    /// <summary>The first rule a block-list pair breaks, in the engines' order (reference §9.12: lengths, then destination
    /// blocks, then source blocks), or null when it is valid for those caches.</summary>
    /// <param name="blocks">The lists.</param>
    /// <param name="sourceRows">Rows of the source cache.</param>
    /// <param name="destinationRows">Rows of the destination cache.</param>
    /// <returns>The defect, or null.</returns>
    public static BlockListDefect? BlockDefectOf(BlockPairs blocks, long sourceRows, long destinationRows)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        if (blocks.Source.Count == 0 && blocks.Destination.Count == 0)
        {
            return BlockListDefect.Empty;
        }

        if (blocks.Source.Count != blocks.Destination.Count || blocks.Source.Count == 0)
        {
            return BlockListDefect.UnequalLength;
        }

        if (blocks.Destination.Any(d => d >= (ulong)destinationRows))
        {
            return BlockListDefect.DestinationOutOfRange;
        }

        return blocks.Source.Any(s => s >= (ulong)sourceRows) ? BlockListDefect.SourceOutOfRange : null;
    }

    // ------------------------------------------------------------------ layer ranges

    /// <summary>Layer selections valid for a pull or a push between two caches of <paramref name="numTensors"/> tensors
    /// each with N = <paramref name="tensorNumPerLayer"/> (<c>numTensors / N</c> layers): every layer
    /// (<see cref="LayerRange.All"/> on both sides), or two in-range layer ranges of equal length.</summary>
    /// <param name="numTensors">Tensors of both caches; a multiple of N (a push requires it, reference §9.10).</param>
    /// <param name="tensorNumPerLayer">N, tensors per layer (2 for K,V).</param>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<KvCacheExtParam> LayerSelections(uint numTensors, byte tensorNumPerLayer = 2)
    {
        var layers = Layers(numTensors, tensorNumPerLayer);
        var ranged =
            from count in Gen.Choose(1, layers)
            from src in Gen.Choose(0, layers - count)
            from dst in Gen.Choose(0, layers - count)
            select new KvCacheExtParam(new LayerRange(src, src + count - 1), new LayerRange(dst, dst + count - 1), tensorNumPerLayer);
        var gen = Gen.Frequency((1, Gen.Constant(new KvCacheExtParam(LayerRange.All, LayerRange.All, tensorNumPerLayer))), (3, ranged));
        return gen.WithShrinker(e => ShrinkExt(e).Where(x => LayerDefectOf(x, numTensors, push: true) is null));
    }

    /// <summary>Layer selections that break one rule for caches of <paramref name="numTensors"/> tensors.</summary>
    /// <param name="numTensors">Tensors of both caches; a multiple of N.</param>
    /// <param name="tensorNumPerLayer">N, tensors per layer.</param>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<InvalidLayerSelection> InvalidLayerSelections(uint numTensors, byte tensorNumPerLayer = 2)
    {
        var layers = Layers(numTensors, tensorNumPerLayer);
        var wellFormed = from first in Gen.Choose(0, layers - 1) from last in Gen.Choose(first, layers - 1) select new LayerRange(first, last);
        var anyLength = from first in Gen.Choose(0, layers) from length in Gen.Choose(1, 3) select new LayerRange(first, first + length);
        var gen =
            from defect in Gen.Elements(Enum.GetValues<LayerRangeDefect>())
            from push in defect == LayerRangeDefect.UnequalPushLengths ? Gen.Constant(true) : Gen.Elements(false, true)
            from onSource in Gen.Elements(false, true)
            from good in wellFormed
            from ext in defect switch
            {
                LayerRangeDefect.FirstAfterLast =>
                    from first in Gen.Choose(0, layers + 1)
                    from last in Gen.Choose(-1, first - 1)
                    select Pair(new LayerRange(first, last), onSource, good, push),
                LayerRangeDefect.BelowMinusOne =>
                    from low in Gen.Elements(-2, -3, -100, int.MinValue)
                    from atFirst in Gen.Elements(false, true)
                    select Pair(atFirst ? new LayerRange(low, Math.Max(0, good.Last)) : new LayerRange(low, low), onSource, good, push),
                LayerRangeDefect.ZeroTensorsPerLayer => Gen.Constant(new KvCacheExtParam(good, good, 0)),
                LayerRangeDefect.UnequalPushLengths =>
                    from other in anyLength
                    select new KvCacheExtParam(good, other.Last - other.First == good.Last - good.First ? other with { Last = other.Last + 1 } : other, tensorNumPerLayer),
                _ =>
                    from beyond in Gen.Choose(layers, layers + 3)
                    select Pair(new LayerRange(beyond - (good.Last - good.First), beyond), onSource, good, push),
            }
            select new InvalidLayerSelection(ext, defect, push);
        return gen.Where(c => LayerDefectOf(c.ExtParam, numTensors, c.Push) == c.Defect)
            .WithShrinker(c => ShrinkExt(c.ExtParam).Where(x => LayerDefectOf(x, numTensors, c.Push) == c.Defect).Select(x => c with { ExtParam = x }));

        KvCacheExtParam Pair(LayerRange bad, bool onSource, LayerRange good, bool push)
        {
            // A push compares lengths before it looks at layers: give the good side the bad side's length when it can.
            var partner = push && bad.First <= bad.Last && bad.First >= 0 ? new LayerRange(0, bad.Last - bad.First) : good;
            return onSource ? new KvCacheExtParam(bad, partner, tensorNumPerLayer) : new KvCacheExtParam(partner, bad, tensorNumPerLayer);
        }
    }

    /// <summary>The first rule a layer selection breaks for caches of <paramref name="numTensors"/> tensors (reference
    /// §9.10: each range well formed, N &gt; 0, a push's lengths equal, then ranges within the layers), or null.</summary>
    /// <param name="extParam">The selection.</param>
    /// <param name="numTensors">Tensors of both caches.</param>
    /// <param name="push">Whether it is a push.</param>
    /// <returns>The defect, or null.</returns>
    public static LayerRangeDefect? LayerDefectOf(KvCacheExtParam extParam, uint numTensors, bool push)
    {
        ArgumentNullException.ThrowIfNull(extParam);
        foreach (var r in new[] { extParam.SrcLayerRange, extParam.DstLayerRange })
        {
            if (r.First < -1 || r.Last < -1)
            {
                return LayerRangeDefect.BelowMinusOne;
            }

            if (r.First > r.Last)
            {
                return LayerRangeDefect.FirstAfterLast;
            }
        }

        if (extParam.TensorNumPerLayer == 0)
        {
            return LayerRangeDefect.ZeroTensorsPerLayer;
        }

        var (src, dst) = (extParam.SrcLayerRange, extParam.DstLayerRange);
        if (push && (long)src.Last - src.First != (long)dst.Last - dst.First)
        {
            return LayerRangeDefect.UnequalPushLengths;
        }

        var layers = numTensors / extParam.TensorNumPerLayer;
        // A pull uses ranges only when both start at >= 0; a push ignores the destination when the source is "all".
        var used = push ? !src.IsAll : !src.IsAll && !dst.IsAll;
        if (used && (src.Last >= layers || (dst.First >= 0 && dst.Last >= layers)))
        {
            return LayerRangeDefect.BeyondLayers;
        }

        return null;
    }

    // ------------------------------------------------------------------ IP text

    /// <summary>Text for <see cref="IpInfo.Ip"/>: dotted IPv4 the engines accept, and near misses they reject (three
    /// octets, an octet over 255, a leading zero, IPv6, a host name, junk, blanks), labelled by construction.</summary>
    /// <returns>The arbitrary of (text, whether both engines accept it).</returns>
    public static Arbitrary<(string Text, bool Valid)> IpTexts()
    {
        var octet = Gen.Frequency((3, Gen.Choose(0, 255)), (1, Gen.Elements(0, 1, 9, 10, 99, 100, 255)));
        var valid = Gen.ArrayOf(octet, 4).Select(o => (string.Join('.', o), true));
        var invalid = Gen.OneOf(
            Gen.ArrayOf(octet, 3).Select(o => string.Join('.', o)),
            Gen.ArrayOf(octet, 5).Select(o => string.Join('.', o)),
            from o in Gen.ArrayOf(octet, 4) from at in Gen.Choose(0, 3) from big in Gen.Choose(256, 999) select string.Join('.', o.Select((x, i) => i == at ? big : x)),
            from o in Gen.ArrayOf(octet, 4) from at in Gen.Choose(0, 3) select string.Join('.', o.Select((x, i) => i == at ? "0" + x.ToString(CultureInfo.InvariantCulture) : x.ToString(CultureInfo.InvariantCulture))),
            from o in Gen.ArrayOf(octet, 4) from junk in Gen.Elements("x", " ", ".", ":26000", "/24") select string.Join('.', o) + junk,
            Gen.Elements("", " ", "::1", "fe80::1", "localhost", "10.0.0", "1..2.3", "-1.0.0.0", "1.2.3.4.", ".1.2.3", "0x0a.0.0.1", "１.2.3.4"))
            .Select(t => (t, false));
        return Gen.Frequency((1, valid), (1, invalid)).WithShrinker(ShrinkIp);
    }

    // ------------------------------------------------------------------ layouts and faults

    /// <summary>Small xPyD layouts (1..<paramref name="promptsMax"/> prompts, 1..<paramref name="decodersMax"/> decoders) on
    /// A2 or A3, on one server or two; shrinking toward 1P1D on two A2 servers.</summary>
    /// <param name="promptsMax">At most this many prompts (≤ 4).</param>
    /// <param name="decodersMax">At most this many decoders (≤ 4).</param>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<ClusterLayout> ClusterLayouts(int promptsMax = 3, int decodersMax = 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(promptsMax);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(decodersMax);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(promptsMax, 4);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(decodersMax, 4);
        var gen =
            from hardware in Gen.Elements(ServerKind.A2, ServerKind.A3)
            from prompts in Gen.Choose(1, promptsMax)
            from decoders in Gen.Choose(1, decodersMax)
            from shared in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
            select new ClusterLayout(hardware, prompts, decoders, shared);
        return gen.WithShrinker(ShrinkLayout);
    }

    /// <summary>Fault plans for a deployment: none, one scripted fault (a link down for a while, a latency spike, a slow
    /// device, a failed allocation, refused link set-ups, a cluster crash with restart), or
    /// <see cref="FaultPlan.Chaos"/> of a seed. Every timed fault starts within <paramref name="horizonNs"/> and every
    /// scripted one heals by 2 × <paramref name="horizonNs"/>.</summary>
    /// <param name="npuCount">NPUs faults may target (ids 0..npuCount−1); <c>layout.BuildTopology().Npus.Count</c>.</param>
    /// <param name="clusterIds">Clusters crashes and refused link set-ups may target; none for no such faults.</param>
    /// <param name="horizonNs">Faults start within this much virtual time.</param>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<FaultPlanSpec> FaultPlans(int npuCount, IReadOnlyList<ulong>? clusterIds = null, long horizonNs = 100 * SimTime.NsPerMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(npuCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(horizonNs, 1000);
        IReadOnlyList<ulong> clusters = [.. clusterIds ?? []];
        var at = Gen.Choose(0, (int)Math.Min(int.MaxValue, horizonNs)).Select(x => (long)x);
        var span = Gen.Choose(1, (int)Math.Min(int.MaxValue, horizonNs / 2)).Select(x => (long)x);
        var npu = Gen.Choose(0, npuCount - 1);
        var faults = new List<Gen<ScheduledFault>>
        {
            from n in npu from a in at from f in span select (ScheduledFault)new LinkDownFault($"npu{n}.*", a, f),
            from n in npu from a in at from f in span from extra in Gen.Choose(1, 2000) select (ScheduledFault)new LatencySpikeFault($"npu{n}.*", a, a + f, extra * SimTime.NsPerUs),
            from n in npu from a in at from f in span from factor in Gen.Choose(2, 5) select (ScheduledFault)new SlowDeviceFault(n, new Ratio((ulong)factor, 1), a, a + f),
            from n in npu from nth in Gen.Choose(1, 6) select (ScheduledFault)new AllocationFailureFault(n, nth),
        };
        if (clusters.Count > 0)
        {
            var cluster = Gen.Elements(clusters.ToArray());
            faults.Add(from c in cluster from a in at from f in span select (ScheduledFault)new LinkEstablishmentFailureFault(c, null, a, a + f));
            faults.Add(from c in cluster from a in at from f in span select (ScheduledFault)new ClusterCrashFault(c, a, a + f));
        }

        var single = Gen.OneOf(faults).Select(f => (FaultPlanSpec)new SingleFault(f));
        var chaos = Gen.Choose(0, int.MaxValue).Select(s => (FaultPlanSpec)new ChaosFaults((ulong)s, npuCount, clusters, horizonNs));
        var gen = Gen.Frequency((1, Gen.Constant((FaultPlanSpec)new NoFaults())), (3, single), (4, chaos));
        return gen.WithShrinker(ShrinkPlan);
    }

    /// <summary>When every fault of a plan is over: the latest end of a timed fault, or <see cref="long.MaxValue"/> when
    /// one never ends (a crash with no restart, a link down for good). One-shot faults (a failed allocation) and the
    /// transfer drop probability do not count: a drop never heals, so liveness under drops needs retries.</summary>
    /// <param name="plan">The plan.</param>
    /// <returns>Virtual time in ns.</returns>
    public static long HealedAtNs(FaultPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        long end = 0;
        foreach (var fault in plan.Script)
        {
            var faultEnd = fault switch
            {
                LinkDownFault f => SimTime.AddSaturating(f.AtNs, f.ForNs),
                LinkFlapFault f => f.UntilNs,
                LatencySpikeFault f => f.UntilNs,
                SlowDeviceFault f => f.UntilNs,
                LinkEstablishmentFailureFault f => f.UntilNs,
                ClusterCrashFault f => f.RestartAtNs,
                LinkDownAfterTransfersFault => long.MaxValue,
                _ => 0,
            };
            end = Math.Max(end, faultEnd);
        }

        return end;
    }

    /// <summary>Clusters a plan crashes and never restarts.</summary>
    /// <param name="plan">The plan.</param>
    /// <returns>Their ids.</returns>
    public static IReadOnlySet<ulong> PermanentlyCrashed(FaultPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return plan.Script.OfType<ClusterCrashFault>().Where(c => c.RestartAtNs == long.MaxValue).Select(c => c.ClusterId).ToHashSet();
    }

    // ------------------------------------------------------------------ printing

    /// <summary>A descriptor in one short line, e.g. <c>Device 4xInt32[8,16]</c>.</summary>
    /// <param name="desc">The descriptor.</param>
    /// <returns>The text.</returns>
    public static string Describe(CacheDesc desc) =>
        string.Create(CultureInfo.InvariantCulture, $"{Required(desc).Placement} {desc.NumTensors}x{desc.DataType}[{string.Join(",", desc.Shape)}]");

    /// <summary>A layer selection in one short line, e.g. <c>(0,1)->(2,3) N=2</c>.</summary>
    /// <param name="extParam">The selection.</param>
    /// <returns>The text.</returns>
    public static string Describe(KvCacheExtParam extParam)
    {
        ArgumentNullException.ThrowIfNull(extParam);
        return string.Create(CultureInfo.InvariantCulture, $"{extParam.SrcLayerRange}->{extParam.DstLayerRange} N={extParam.TensorNumPerLayer}");
    }

    // ------------------------------------------------------------------ internals

    private static Arbitrary<T> WithShrinker<T>(this Gen<T> gen, Func<T, IEnumerable<T>> shrinker) => Arb.From(gen, shrinker);

    private static CacheDesc Required(CacheDesc desc) => desc ?? throw new ArgumentNullException(nameof(desc));

    private static bool IsSubByteDeviceType(DataType type) => type is DataType.Int4 or DataType.Uint1 or DataType.Int2 or DataType.Uint2;

    private static long ElementBytes(DataType type) => type.GetElementBits() is var bits and >= 8
        ? bits / 8
        : throw new ArgumentException($"{type} is not a whole-byte type; the kit sizes whole-byte types only", nameof(type));

    private static int Layers(uint numTensors, byte tensorNumPerLayer)
    {
        ArgumentOutOfRangeException.ThrowIfZero(tensorNumPerLayer);
        if (numTensors == 0 || numTensors % tensorNumPerLayer != 0)
        {
            throw new ArgumentException($"numTensors ({numTensors}) must be a positive multiple of tensorNumPerLayer ({tensorNumPerLayer})", nameof(numTensors));
        }

        return (int)Math.Min(int.MaxValue - 8, numTensors / tensorNumPerLayer);
    }

    private static Gen<ulong> Index(long rows) => Gen.Choose(0, (int)Math.Min(int.MaxValue, rows - 1)).Select(i => (ulong)i);

    private static Gen<ulong[]> Distinct(long rows, int length) =>
        Gen.Shuffle(Enumerable.Range(0, (int)Math.Min(rows, 4096)).Select(i => (ulong)i)).Select(all => all.Take(length).ToArray());

    private static IEnumerable<ulong> ShrinkTowardZero(ulong value)
    {
        if (value == 0)
        {
            yield break;
        }

        yield return 0;
        for (var step = value / 2; step > 0; step /= 2)
        {
            yield return value - step;
        }
    }

    private static IEnumerable<CacheDesc> ShrinkDesc(CacheDesc d, int tensorMultiple, int rowsMin)
    {
        if (d.NumTensors > tensorMultiple)
        {
            yield return d with { NumTensors = (uint)tensorMultiple };
            var half = d.NumTensors / 2 / (uint)tensorMultiple * (uint)tensorMultiple;
            if (half >= tensorMultiple && half < d.NumTensors)
            {
                yield return d with { NumTensors = half };
            }
        }

        if (d.DataType != DataType.Int8 && DeviceDataTypeSet.Contains(d.DataType))
        {
            yield return d with { DataType = DataType.Int8 };
        }

        for (var i = d.Shape.Count - 1; i >= 1; i--)
        {
            var at = i;
            yield return d with { Shape = [.. d.Shape.Where((_, j) => j != at)] };
        }

        for (var i = 0; i < d.Shape.Count; i++)
        {
            var at = i;
            var floor = i == 0 ? rowsMin : 1;
            var value = d.Shape[i];
            if (value > floor)
            {
                yield return d with { Shape = [.. d.Shape.Select((x, j) => j == at ? floor : x)] };
                if (value / 2 > floor)
                {
                    yield return d with { Shape = [.. d.Shape.Select((x, j) => j == at ? value / 2 : x)] };
                }
            }
        }
    }

    private static IEnumerable<BlockPairs> ShrinkBlocks(BlockPairs b, bool keepLengthsApart = false)
    {
        // Drop one pair (or, for unequal lengths, one element of either list).
        for (var i = 0; i < Math.Max(b.Source.Count, b.Destination.Count); i++)
        {
            var at = i;
            if (!keepLengthsApart && i < b.Source.Count && i < b.Destination.Count)
            {
                yield return new BlockPairs([.. b.Source.Where((_, j) => j != at)], [.. b.Destination.Where((_, j) => j != at)]);
            }
            else if (keepLengthsApart)
            {
                if (i < b.Source.Count)
                {
                    yield return b with { Source = [.. b.Source.Where((_, j) => j != at)] };
                }

                if (i < b.Destination.Count)
                {
                    yield return b with { Destination = [.. b.Destination.Where((_, j) => j != at)] };
                }
            }
        }

        for (var i = 0; i < b.Source.Count; i++)
        {
            var at = i;
            foreach (var smaller in ShrinkTowardZero(b.Source[i]).Take(3))
            {
                yield return b with { Source = [.. b.Source.Select((x, j) => j == at ? smaller : x)] };
            }
        }

        for (var i = 0; i < b.Destination.Count; i++)
        {
            var at = i;
            foreach (var smaller in ShrinkTowardZero(b.Destination[i]).Take(3))
            {
                yield return b with { Destination = [.. b.Destination.Select((x, j) => j == at ? smaller : x)] };
            }
        }
    }

    private static IEnumerable<KvCacheExtParam> ShrinkExt(KvCacheExtParam e)
    {
        if (!e.SrcLayerRange.IsAll || !e.DstLayerRange.IsAll)
        {
            yield return e with { SrcLayerRange = LayerRange.All, DstLayerRange = LayerRange.All };
        }

        static IEnumerable<LayerRange> Smaller(LayerRange r)
        {
            if (r.First > 0)
            {
                yield return new LayerRange(0, r.Last - r.First);
                yield return new LayerRange(r.First - 1, r.Last - 1);
            }

            if (r.Last > r.First)
            {
                yield return new LayerRange(r.First, r.Last - 1);
            }
        }

        foreach (var s in Smaller(e.SrcLayerRange))
        {
            yield return e with { SrcLayerRange = s };
        }

        foreach (var d in Smaller(e.DstLayerRange))
        {
            yield return e with { DstLayerRange = d };
        }

        foreach (var (s, d) in Smaller(e.SrcLayerRange).Zip(Smaller(e.DstLayerRange)))
        {
            yield return e with { SrcLayerRange = s, DstLayerRange = d };
        }
    }

    private static IEnumerable<(string Text, bool Valid)> ShrinkIp((string Text, bool Valid) ip)
    {
        if (ip.Valid && ip.Text != "0.0.0.0")
        {
            yield return ("0.0.0.0", true);
        }
    }

    private static IEnumerable<ClusterLayout> ShrinkLayout(ClusterLayout l)
    {
        if (l.Hardware != ServerKind.A2)
        {
            yield return l with { Hardware = ServerKind.A2 };
        }

        if (l.SharedServer)
        {
            yield return l with { SharedServer = false };
        }

        if (l.Prompts > 1)
        {
            yield return l with { Prompts = l.Prompts - 1 };
        }

        if (l.Decoders > 1)
        {
            yield return l with { Decoders = l.Decoders - 1 };
        }
    }

    private static IEnumerable<FaultPlanSpec> ShrinkPlan(FaultPlanSpec spec)
    {
        switch (spec)
        {
            case NoFaults:
                yield break;
            case ChaosFaults chaos:
                yield return new NoFaults();
                foreach (var seed in ShrinkTowardZero(chaos.Seed).Take(8))
                {
                    yield return chaos with { Seed = seed };
                }

                break;
            case SingleFault single:
                yield return new NoFaults();
                foreach (var fault in ShrinkFault(single.Fault))
                {
                    yield return new SingleFault(fault);
                }

                break;
            default:
                break;
        }
    }

    private static IEnumerable<ScheduledFault> ShrinkFault(ScheduledFault fault)
    {
        switch (fault)
        {
            case LinkDownFault f when f.AtNs > 0:
                yield return f with { AtNs = 0 };
                yield return f with { AtNs = f.AtNs / 2 };
                break;
            case LatencySpikeFault f when f.FromNs > 0:
                yield return f with { FromNs = 0, UntilNs = f.UntilNs - f.FromNs };
                break;
            case SlowDeviceFault f when f.FromNs > 0:
                yield return f with { FromNs = 0, UntilNs = f.UntilNs - f.FromNs };
                break;
            case AllocationFailureFault f when f.Nth > 1:
                yield return f with { Nth = 1 };
                break;
            case ClusterCrashFault f when f.AtNs > 0:
                yield return f with { AtNs = f.AtNs / 2, RestartAtNs = f.RestartAtNs - (f.AtNs - (f.AtNs / 2)) };
                break;
            case LinkEstablishmentFailureFault f when f.FromNs > 0:
                yield return f with { FromNs = 0, UntilNs = f.UntilNs - f.FromNs };
                break;
            default:
                break;
        }
    }
}
