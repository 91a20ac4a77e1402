namespace LlmDataDist.ModelTests.Model;

/// <summary>The cache descriptions the tests use, and the sizing rules of §3 / §4.2 for them.</summary>
public static class Descs
{
    public static CacheDesc Of(DescChoice choice) => choice switch
    {
        DescChoice.A => Desc(4, DataType.Int32, 4, 4),       // 64 B per tensor, 4 rows of 16 B
        DescChoice.B => Desc(2, DataType.Int8, 8, 16),       // 128 B, 8 rows of 16 B
        DescChoice.C => Desc(4, DataType.Int8, 4, 8),        // 32 B, 4 rows of 8 B
        DescChoice.D => Desc(4, DataType.Int32, 8, 4),       // 128 B, 8 rows of 16 B
        DescChoice.ZeroTensors => Desc(0, DataType.Int32, 4, 4),
        DescChoice.Host => Desc(4, DataType.Int32, 4, 4) with { Placement = CachePlacement.Host },
        DescChoice.EmptyShape => new CacheDesc { NumTensors = 4, DataType = DataType.Int32, Shape = [] },
        DescChoice.ZeroDim => Desc(4, DataType.Int32, 0, 4),
        DescChoice.StringType => Desc(2, DataType.String, 4, 4),
        DescChoice.Undefined => Desc(2, DataType.Undefined, 4, 4),
        _ => throw new ArgumentOutOfRangeException(nameof(choice), choice, null),
    };

    private static CacheDesc Desc(uint tensors, DataType type, long rows, long cols) =>
        new() { NumTensors = tensors, DataType = type, Shape = [rows, cols], Placement = CachePlacement.Device };

    /// <summary>Element size in bytes in CE's device table (§3), or null when the device rejects the type.</summary>
    public static long? DeviceElementBytes(DataType type) => type switch
    {
        DataType.Int8 or DataType.Uint8 or DataType.Bool => 1,
        DataType.Int16 or DataType.Uint16 or DataType.Float16 or DataType.Bf16 => 2,
        DataType.Int32 or DataType.Uint32 or DataType.Float => 4,
        DataType.Int64 or DataType.Uint64 or DataType.Double => 8,
        _ => null,
    };

    /// <summary>tensor_bytes for a valid description, or null when sizing fails (§4.2: dims &gt; 0, known type).</summary>
    public static long? TensorBytes(CacheDesc desc)
    {
        if (desc.Shape.Count == 0 || desc.Shape.Count >= 32 || desc.Shape.Any(d => d <= 0) || DeviceElementBytes(desc.DataType) is not { } size)
        {
            return null;
        }

        return desc.Shape.Aggregate(1L, (a, b) => a * b) * size;
    }
}
