using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Tests.Semantics;

// Worked examples of reference §4.4 and the sizing rules of §3 / §4.2.
public class CacheGeometryTests
{
    private static CacheGeometry Size(DataType type, long[] shape, uint tensors = 4, Sizing sizing = Sizing.Host)
    {
        var status = CacheGeometry.TryCreate(new CacheDesc { NumTensors = tensors, DataType = type, Shape = shape }, sizing, checkRank: true, out var geometry);
        Assert.Equal(LlmStatus.Success, status);
        return geometry;
    }

    [Fact]
    public void Samples_cache_int32_8x16_has_512_byte_tensors_and_64_byte_rows()
    {
        var g = Size(DataType.Int32, [8, 16]);
        Assert.Equal(new CacheGeometry(4, 512, 8, 64), g);
    }

    [Fact]
    public void Tests_cache_float16_4x256_has_2048_byte_tensors_and_40_layers_of_two()
    {
        var g = Size(DataType.Float16, [4, 256], tensors: 80);
        Assert.Equal(2048, g.TensorBytes);
        Assert.Equal(512, g.Stride);
        Assert.Equal(40, g.Layers(2));
    }

    [Fact]
    public void Paged_bf16_cache_block_is_256_KiB()
    {
        var g = Size(DataType.Bf16, [1024, 128, 8, 128], tensors: 2);
        Assert.Equal(262_144, g.Stride);
        Assert.Equal(268_435_456, g.TensorBytes);
    }

    [Fact]
    public void Int4_rows_follow_integer_division_of_a_rounded_up_byte_count()
    {
        var g = Size(DataType.Int4, [4, 3]);
        Assert.Equal(6, g.TensorBytes);
        Assert.Equal(1, g.Stride);
    }

    [Theory]
    [InlineData(DataType.String)]
    [InlineData(DataType.Complex64)]
    [InlineData(DataType.Float8E5m2)]
    public void Device_sizing_rejects_types_only_the_host_table_knows(DataType type)
    {
        var desc = new CacheDesc { NumTensors = 1, DataType = type, Shape = [2, 2] };
        Assert.Equal(LlmStatus.ParamInvalid, CacheGeometry.TryCreate(desc, Sizing.Device, true, out _));
        Assert.Equal(LlmStatus.Success, CacheGeometry.TryCreate(desc, Sizing.Host, true, out _));
    }

    [Theory]
    [InlineData(DataType.Undefined, new long[] { 2 })]
    [InlineData((DataType)5, new long[] { 2 })]
    [InlineData((DataType)999, new long[] { 2 })]
    [InlineData(DataType.Int8, new long[] { 0, 2 })]
    [InlineData(DataType.Int8, new long[] { 2, -1 })]
    [InlineData(DataType.Int64, new long[] { long.MaxValue / 2, 4 })]
    public void Undefined_types_non_positive_dims_and_overflow_are_param_invalid(DataType type, long[] shape)
    {
        var desc = new CacheDesc { NumTensors = 1, DataType = type, Shape = shape };
        Assert.Equal(LlmStatus.ParamInvalid, CacheGeometry.TryCreate(desc, Sizing.Host, true, out _));
    }

    [Fact]
    public void Rank_must_be_1_to_31_where_checked_and_an_empty_shape_is_a_scalar_where_not()
    {
        var empty = new CacheDesc { NumTensors = 1, DataType = DataType.Int32, Shape = [] };
        var rank32 = new CacheDesc { NumTensors = 1, DataType = DataType.Int32, Shape = Enumerable.Repeat(1L, 32).ToArray() };
        Assert.Equal(LlmStatus.ParamInvalid, CacheGeometry.TryCreate(empty, Sizing.Host, true, out _));
        Assert.Equal(LlmStatus.ParamInvalid, CacheGeometry.TryCreate(rank32, Sizing.Host, true, out _));
        Assert.Equal(LlmStatus.Success, CacheGeometry.TryCreate(empty, Sizing.Host, false, out var scalar));
        Assert.Equal(new CacheGeometry(1, 4, 1, 4), scalar);
    }
}
