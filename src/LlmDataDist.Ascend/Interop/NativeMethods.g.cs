// TEMPORARY hand copy of the generated interop (branch native-shim generates the real one); replaced at merge.
#nullable enable
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LlmDataDist.Ascend.Interop;

[StructLayout(LayoutKind.Sequential)] internal unsafe struct NativeStr { public byte* Ptr; public ulong Len; }
[StructLayout(LayoutKind.Sequential)] internal unsafe struct NativeU64Span { public ulong* Ptr; public ulong Len; }
[StructLayout(LayoutKind.Sequential)] internal unsafe struct NativeOption { public NativeStr Key; public NativeStr Value; }
[StructLayout(LayoutKind.Sequential)] internal unsafe struct NativeIpInfo { public NativeStr Ip; public ushort Port; }
[StructLayout(LayoutKind.Sequential)] internal unsafe struct NativeClusterInfo { public ulong RemoteClusterId; public int RemoteRoleType; public NativeIpInfo* LocalIpInfos; public ulong LocalIpInfosLen; public NativeIpInfo* RemoteIpInfos; public ulong RemoteIpInfosLen; }
[StructLayout(LayoutKind.Sequential)] internal unsafe struct NativeCacheIndex { public ulong ClusterId; public long CacheId; public uint BatchIndex; }
[StructLayout(LayoutKind.Sequential)] internal unsafe struct NativeCacheDesc { public uint Placement; public uint NumTensors; public int DataType; public long* Shape; public ulong ShapeLen; }
[StructLayout(LayoutKind.Sequential)] internal unsafe struct NativeCache { public long CacheId; public ulong* TensorAddrs; public ulong TensorAddrsLen; public NativeCacheDesc CacheDesc; }
[StructLayout(LayoutKind.Sequential)] internal unsafe struct NativeKvCacheExtParam { public int SrcLayerRangeFirst; public int SrcLayerRangeSecond; public int DstLayerRangeFirst; public int DstLayerRangeSecond; public byte TensorNumPerLayer; }
[StructLayout(LayoutKind.Sequential)] internal unsafe struct NativeRegisterCfg { public byte Unused; }

internal static unsafe partial class NativeMethods
{
    public const string LibraryName = "llmdd_shim";
    public const uint AbiVersion = 1;
    public const ulong SpecHash = 0;

    [LibraryImport(LibraryName, EntryPoint = "llmdd_abi_version")] [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial uint AbiVersionNative();
    [LibraryImport(LibraryName, EntryPoint = "llmdd_spec_hash")] [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial ulong SpecHashNative();
    [LibraryImport(LibraryName, EntryPoint = "llmdd_create")] [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial uint Create(ulong clusterId, int role, out NativeInstanceHandle instance);
    [LibraryImport(LibraryName, EntryPoint = "llmdd_destroy")] [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial void Destroy(nint instance);
    [LibraryImport(LibraryName, EntryPoint = "llmdd_initialize")] [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial uint Initialize(NativeInstanceHandle instance, NativeOption* options, ulong optionsLen);
    [LibraryImport(LibraryName, EntryPoint = "llmdd_finalize")] [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial uint Finalize(NativeInstanceHandle instance);
    [LibraryImport(LibraryName, EntryPoint = "llmdd_set_role")] [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial uint SetRole(NativeInstanceHandle instance, int role, NativeOption* options, ulong optionsLen);
    [LibraryImport(LibraryName, EntryPoint = "llmdd_link_llm_clusters")] [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial uint LinkLlmClusters(NativeInstanceHandle instance, NativeClusterInfo* clusters, ulong clustersLen, uint* rets, ulong retsCapacity, ulong* retsLen, int timeoutInMillis);
    [LibraryImport(LibraryName, EntryPoint = "llmdd_unlink_llm_clusters")] [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial uint UnlinkLlmClusters(NativeInstanceHandle instance, NativeClusterInfo* clusters, ulong clustersLen, uint* rets, ulong retsCapacity, ulong* retsLen, int timeoutInMillis, byte forceFlag);
    [LibraryImport(LibraryName, EntryPoint = "llmdd_allocate_cache")] [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial uint AllocateCache(NativeInstanceHandle instance, NativeCacheDesc* cacheDesc, long* outCacheId, ulong* outTensorAddrs, ulong outTensorAddrsCapacity, ulong* outTensorAddrsLen);
    [LibraryImport(LibraryName, EntryPoint = "llmdd_deallocate_cache")] [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial uint DeallocateCache(NativeInstanceHandle instance, long cacheId);
    [LibraryImport(LibraryName, EntryPoint = "llmdd_pull_kv_cache")] [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial uint PullKvCache(NativeInstanceHandle instance, NativeCacheIndex* srcCacheIndex, NativeCache* dstCache, uint batchIndex, long size, NativeKvCacheExtParam* extParam);
    [LibraryImport(LibraryName, EntryPoint = "llmdd_pull_kv_blocks")] [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial uint PullKvBlocks(NativeInstanceHandle instance, NativeCacheIndex* srcCacheIndex, NativeCache* dstCache, ulong* srcBlocks, ulong srcBlocksLen, ulong* dstBlocks, ulong dstBlocksLen, NativeKvCacheExtParam* extParam);
    [LibraryImport(LibraryName, EntryPoint = "llmdd_copy_kv_cache")] [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial uint CopyKvCache(NativeInstanceHandle instance, NativeCache* srcCache, NativeCache* dstCache, uint srcBatchIndex, uint dstBatchIndex, ulong offset, long size);
    [LibraryImport(LibraryName, EntryPoint = "llmdd_copy_kv_blocks")] [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial uint CopyKvBlocks(NativeInstanceHandle instance, NativeCache* srcCache, NativeCache* dstCache, ulong* srcBlocks, ulong srcBlocksLen, NativeU64Span* dstBlocksList, ulong dstBlocksListLen);
    [LibraryImport(LibraryName, EntryPoint = "llmdd_push_kv_cache")] [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial uint PushKvCache(NativeInstanceHandle instance, NativeCache* srcCache, NativeCacheIndex* dstCacheIndex, uint srcBatchIndex, long size, NativeKvCacheExtParam* extParam);
    [LibraryImport(LibraryName, EntryPoint = "llmdd_push_kv_blocks")] [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial uint PushKvBlocks(NativeInstanceHandle instance, NativeCache* srcCache, NativeCacheIndex* dstCacheIndex, ulong* srcBlocks, ulong srcBlocksLen, ulong* dstBlocks, ulong dstBlocksLen, NativeKvCacheExtParam* extParam);
    [LibraryImport(LibraryName, EntryPoint = "llmdd_register_kv_cache")] [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial uint RegisterKvCache(NativeInstanceHandle instance, NativeCacheDesc* cacheDesc, ulong* addrs, ulong addrsLen, NativeRegisterCfg* cfg, long* outCacheId);
    [LibraryImport(LibraryName, EntryPoint = "llmdd_unregister_kv_cache")] [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    public static partial uint UnregisterKvCache(NativeInstanceHandle instance, long cacheId);
}
