using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Tests.Semantics;

// Reference §9.10: the layer rules as the code applies them.
public class LayerSelectionTests
{
    private static KvCacheExtParam Ext(int a, int b, int c, int d, byte n = 2) =>
        new() { SrcLayerRange = new(a, b), DstLayerRange = new(c, d), TensorNumPerLayer = n };

    [Fact]
    public void Pull_without_ranges_pairs_every_tensor_with_its_namesake_and_needs_equal_counts()
    {
        Assert.Equal([new(0, 0), new(1, 1), new(2, 2), new(3, 3)], LayerSelection.PullPairs(new KvCacheExtParam(), 4, 4)!);
        Assert.Null(LayerSelection.PullPairs(new KvCacheExtParam(), 4, 6));
    }

    [Fact]
    public void Pull_ignores_a_range_given_on_one_side_only()
    {
        Assert.False(LayerSelection.PullUsesRanges(Ext(1, 1, -1, -1)));
        Assert.False(LayerSelection.PullUsesRanges(Ext(-1, 5, 0, 0)));
        Assert.Equal(4, LayerSelection.PullPairs(Ext(1, 1, -1, -1), 4, 4)!.Count);
    }

    [Fact]
    public void Pull_ranges_map_layers_to_tensor_spans_in_order()
    {
        // Layer 1 of the source (tensors 2,3) into layer 0 of the destination (tensors 0,1).
        Assert.Equal([new(2, 0), new(3, 1)], LayerSelection.PullPairs(Ext(1, 1, 0, 0), 4, 4)!);
    }

    [Fact]
    public void Pull_ranges_of_unequal_size_or_beyond_a_cache_are_rejected()
    {
        Assert.Null(LayerSelection.PullPairs(Ext(0, 1, 0, 0), 4, 4));
        Assert.Null(LayerSelection.PullPairs(Ext(2, 2, 0, 0), 4, 4));
        Assert.Null(LayerSelection.PullPairs(Ext(0, 0, 2, 2), 4, 4));
    }

    [Theory]
    [InlineData(-2, -1, -1, -1, 2, false)]
    [InlineData(3, 1, -1, -1, 2, false)]
    [InlineData(-1, -1, -1, -1, 0, false)]
    [InlineData(-1, 5, -1, -1, 2, true)]
    [InlineData(0, 3, 0, 3, 1, true)]
    public void Parameter_check_matches_the_engines(int a, int b, int c, int d, byte n, bool valid) =>
        Assert.Equal(valid, LayerSelection.IsValid(Ext(a, b, c, d, n), push: false));

    [Fact]
    public void Push_needs_equal_range_lengths()
    {
        Assert.False(LayerSelection.IsValid(Ext(0, 1, 0, 0), push: true));
        Assert.True(LayerSelection.IsValid(Ext(0, 1, 2, 3), push: true));
    }

    [Fact]
    public void Push_of_all_layers_ignores_the_destination_range_and_counts_layers_from_the_callers_num_tensors()
    {
        Assert.Equal([(0L, 0L), (1L, 1L)], LayerSelection.PushLayers(Ext(-1, -1, 3, 3), 4));
        Assert.Equal([(0L, 0L)], LayerSelection.PushLayers(Ext(-1, -1, -1, -1), 1));
        // Not divisible: Lmax = 3 / 2 = 1, so layers 0 and 1 (the source's own divisibility is checked later).
        Assert.Equal([(0L, 0L), (1L, 1L)], LayerSelection.PushLayers(Ext(-1, -1, -1, -1), 3));
    }

    [Fact]
    public void Push_with_a_source_range_walks_destination_layers_from_the_destination_start()
    {
        Assert.Equal([(1L, 3L), (2L, 4L)], LayerSelection.PushLayers(Ext(1, 2, 3, 4), 8));
        Assert.Equal([(1L, (long)int.MaxValue)], LayerSelection.PushLayers(Ext(1, 1, -1, -1), 8));
    }
}
