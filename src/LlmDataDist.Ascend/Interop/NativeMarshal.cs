using System.Text;

namespace LlmDataDist.Ascend.Interop;

/// <summary>
/// Converts the contract's records into the shim's blittable structs, in one place per shape, writing everything
/// (strings, lists, nested lists) into the call's <see cref="NativeArena"/>. An empty list crosses as a null pointer
/// with length 0. A null record or list element is a programming error of the caller: <see cref="ArgumentNullException"/>.
/// </summary>
internal static unsafe class NativeMarshal
{
    // Strict would throw on lone surrogates; the client rejects those before a backend sees them, and the shim
    // rejects what the engine could not take (embedded NUL, too long), so a lenient encoder is enough here.
    private static readonly Encoding Utf8 = Encoding.UTF8;

    public static NativeStr Str(NativeArena arena, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var length = Utf8.GetByteCount(text);
        var bytes = arena.Alloc<byte>(length);
        if (length > 0)
        {
            Utf8.GetBytes(text, new Span<byte>(bytes, length));
        }

        return new NativeStr { Ptr = bytes, Len = (ulong)length };
    }

    public static NativeOption* Options(NativeArena arena, IReadOnlyDictionary<string, string> options, out ulong length)
    {
        ArgumentNullException.ThrowIfNull(options);
        var native = arena.Alloc<NativeOption>(options.Count);
        var i = 0;
        foreach (var (key, value) in options)
        {
            native[i++] = new NativeOption { Key = Str(arena, key), Value = Str(arena, value) };
        }

        length = (ulong)options.Count;
        return native;
    }

    public static NativeClusterInfo* Clusters(NativeArena arena, IReadOnlyList<ClusterInfo> clusters)
    {
        ArgumentNullException.ThrowIfNull(clusters);
        var native = arena.Alloc<NativeClusterInfo>(clusters.Count);
        for (var i = 0; i < clusters.Count; i++)
        {
            var cluster = clusters[i] ?? throw new ArgumentNullException(nameof(clusters), $"clusters[{i}] is null");
            native[i] = new NativeClusterInfo
            {
                RemoteClusterId = cluster.RemoteClusterId,
                RemoteRoleType = (int)cluster.RemoteRoleType,
                LocalIpInfos = IpInfos(arena, cluster.LocalIpInfos),
                LocalIpInfosLen = (ulong)cluster.LocalIpInfos.Count,
                RemoteIpInfos = IpInfos(arena, cluster.RemoteIpInfos),
                RemoteIpInfosLen = (ulong)cluster.RemoteIpInfos.Count,
            };
        }

        return native;
    }

    private static NativeIpInfo* IpInfos(NativeArena arena, IReadOnlyList<IpInfo> infos)
    {
        ArgumentNullException.ThrowIfNull(infos);
        var native = arena.Alloc<NativeIpInfo>(infos.Count);
        for (var i = 0; i < infos.Count; i++)
        {
            var info = infos[i] ?? throw new ArgumentNullException(nameof(infos), $"ip_infos[{i}] is null");
            native[i] = new NativeIpInfo { Ip = Str(arena, info.Ip), Port = info.Port };
        }

        return native;
    }

    public static NativeCacheDesc* CacheDesc(NativeArena arena, CacheDesc desc)
    {
        var native = arena.Alloc<NativeCacheDesc>(1);
        *native = CacheDescValue(arena, desc);
        return native;
    }

    private static NativeCacheDesc CacheDescValue(NativeArena arena, CacheDesc desc)
    {
        ArgumentNullException.ThrowIfNull(desc);
        var shape = arena.Alloc<long>(desc.Shape.Count);
        for (var i = 0; i < desc.Shape.Count; i++)
        {
            shape[i] = desc.Shape[i];
        }

        return new NativeCacheDesc
        {
            Placement = (uint)desc.Placement,
            NumTensors = desc.NumTensors,
            DataType = (int)desc.DataType,
            Shape = shape,
            ShapeLen = (ulong)desc.Shape.Count,
        };
    }

    public static NativeCache* Cache(NativeArena arena, Cache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var native = arena.Alloc<NativeCache>(1);
        *native = new NativeCache
        {
            CacheId = cache.CacheId,
            TensorAddrs = U64(arena, cache.TensorAddrs),
            TensorAddrsLen = (ulong)cache.TensorAddrs.Count,
            CacheDesc = CacheDescValue(arena, cache.CacheDesc),
        };
        return native;
    }

    public static NativeCacheIndex* CacheIndex(NativeArena arena, CacheIndex index)
    {
        ArgumentNullException.ThrowIfNull(index);
        var native = arena.Alloc<NativeCacheIndex>(1);
        *native = new NativeCacheIndex { ClusterId = index.ClusterId, CacheId = index.CacheId, BatchIndex = index.BatchIndex };
        return native;
    }

    public static NativeKvCacheExtParam* ExtParam(NativeArena arena, KvCacheExtParam ext)
    {
        ArgumentNullException.ThrowIfNull(ext);
        var native = arena.Alloc<NativeKvCacheExtParam>(1);
        *native = new NativeKvCacheExtParam
        {
            SrcLayerRangeFirst = ext.SrcLayerRange.First,
            SrcLayerRangeSecond = ext.SrcLayerRange.Last,
            DstLayerRangeFirst = ext.DstLayerRange.First,
            DstLayerRangeSecond = ext.DstLayerRange.Last,
            TensorNumPerLayer = ext.TensorNumPerLayer,
        };
        return native;
    }

    public static NativeRegisterCfg* RegisterCfg(NativeArena arena, RegisterCfg cfg)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        return arena.Alloc<NativeRegisterCfg>(1);
    }

    public static ulong* U64(NativeArena arena, IReadOnlyList<ulong> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var native = arena.Alloc<ulong>(values.Count);
        Copy(values, native);
        return native;
    }

    public static NativeU64Span* U64Lists(NativeArena arena, IReadOnlyList<IReadOnlyList<ulong>> lists)
    {
        ArgumentNullException.ThrowIfNull(lists);
        var native = arena.Alloc<NativeU64Span>(lists.Count);
        for (var i = 0; i < lists.Count; i++)
        {
            var list = lists[i] ?? throw new ArgumentNullException(nameof(lists), $"list {i} is null");
            native[i] = new NativeU64Span { Ptr = U64(arena, list), Len = (ulong)list.Count };
        }

        return native;
    }

    private static void Copy(IReadOnlyList<ulong> values, ulong* target)
    {
        // Arrays and lists copy as one block; any other list element by element.
        var span = values switch
        {
            ulong[] array => array,
            List<ulong> list => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list),
            _ => default(ReadOnlySpan<ulong>),
        };
        if (span.Length == values.Count)
        {
            span.CopyTo(new Span<ulong>(target, span.Length));
            return;
        }

        for (var i = 0; i < values.Count; i++)
        {
            target[i] = values[i];
        }
    }
}
