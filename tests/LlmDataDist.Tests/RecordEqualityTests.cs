using static LlmDataDist.Tests.Support.Samples;

namespace LlmDataDist.Tests;

/// <summary>Records with list members compare, hash and print by content, so they work as dictionary keys and in assertions.</summary>
public class RecordEqualityTests
{
    [Fact]
    public void CacheDesc_with_equal_shapes_in_different_list_types_is_equal()
    {
        var a = new CacheDesc(CachePlacement.Device, 4, DataType.Float16, new long[] { 8, 16 });
        var b = new CacheDesc(CachePlacement.Device, 4, DataType.Float16, new List<long> { 8, 16 });

        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }

    [Fact]
    public void CacheDesc_differing_in_one_dimension_is_not_equal()
    {
        var a = Desc(4, CachePlacement.Device, 8, 16);

        Assert.NotEqual(a, Desc(4, CachePlacement.Device, 8, 17));
        Assert.NotEqual(a, Desc(4, CachePlacement.Device, 8, 16, 1));
        Assert.NotEqual(a, a with { Placement = CachePlacement.Host });
    }

    [Fact]
    public void Cache_with_equal_addresses_and_descriptions_is_equal()
    {
        var a = new Cache(3, new ulong[] { 0x1000, 0x2000 }, Desc(2));
        var b = new Cache(3, new List<ulong> { 0x1000, 0x2000 }, Desc(2));

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, b with { TensorAddrs = [0x2000, 0x1000] });
        Assert.NotEqual(a, b with { CacheDesc = Desc(2, CachePlacement.Device, 8, 32) });
    }

    [Fact]
    public void ClusterInfo_compares_its_ip_lists_by_content()
    {
        var a = Cluster(5);
        var b = Cluster(5);

        Assert.NotSame(a.RemoteIpInfos, b.RemoteIpInfos);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, Cluster(5, remoteIp: "10.0.0.9"));
        Assert.NotEqual(a, a with { LocalIpInfos = [] });
    }

    [Fact]
    public void Equal_records_work_as_dictionary_keys()
    {
        var seen = new HashSet<Cache> { new(1, new ulong[] { 0x1000 }, Desc(1)) };

        Assert.Contains(new Cache(1, new List<ulong> { 0x1000 }, Desc(1)), seen);
    }

    [Fact]
    public void ToString_shows_list_contents()
    {
        var cache = new Cache(3, new ulong[] { 4096, 8192 }, new CacheDesc(CachePlacement.Device, 2, DataType.Float16, new long[] { 8, 16 }));

        Assert.Equal(
            "Cache { CacheId = 3, TensorAddrs = [4096, 8192], CacheDesc = CacheDesc { Placement = Device, NumTensors = 2, DataType = Float16, Shape = [8, 16] } }",
            cache.ToString());
        Assert.Contains("RemoteIpInfos = [IpInfo { Ip = 10.0.0.2, Port = 26000 }]", Cluster().ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_of_a_huge_cache_stays_one_short_line()
    {
        var addresses = Enumerable.Range(0, 1_000_000).Select(i => 0x1000UL + ((ulong)i * 512)).ToArray();
        var cache = new Cache(7, addresses, new CacheDesc(CachePlacement.Device, 1_000_000, DataType.Int8, new long[] { 1, 512 }));

        var text = cache.ToString();

        Assert.True(text.Length < 400, $"{text.Length} characters");
        Assert.Contains("TensorAddrs = [4096, 4608, ", text, StringComparison.Ordinal);
        Assert.Contains($", {0x1000 + (15 * 512)}, … (1000000 items)]", text, StringComparison.Ordinal);
        // A sequence of exactly the printed maximum is printed whole; one more item is counted.
        Assert.DoesNotContain("items", SequenceEquality.Print(Enumerable.Range(0, SequenceEquality.PrintedItemsMax).ToArray()), StringComparison.Ordinal);
        Assert.EndsWith(", … (17 items)]", SequenceEquality.Print(Enumerable.Range(0, 17)), StringComparison.Ordinal);
    }

    [Fact]
    public void Header_defaults_are_filled_by_the_parameterless_constructors()
    {
        Assert.Equal(-1, new Cache().CacheId);
        Assert.Equal(CachePlacement.Device, new CacheDesc().Placement);
        Assert.Equal(DataType.Undefined, new CacheDesc().DataType);
        Assert.Equal(28, (int)DataType.Undefined);
        Assert.Equal(new KvCacheExtParam(LayerRange.All, LayerRange.All, 2), new KvCacheExtParam());
    }
}
