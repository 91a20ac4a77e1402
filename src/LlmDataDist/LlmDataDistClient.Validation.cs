using System.Net;
using System.Net.Sockets;

namespace LlmDataDist;

// The partial methods are instance members because the generated client declares them so; they need no state.
#pragma warning disable CA1822
// Exceptions name the public client method's parameter (e.g. "size"), which is what a caller passed, not the
// generated arguments record the rules receive.
#pragma warning disable CA2208

// Argument rules of the reference that hold whatever the engine profile (CE or HX) and whatever the instance's
// state. They run before anything reaches the backend, so a malformed call changes nothing. Rules that depend on
// state (links, caches, role) or differ between engines stay with the backend and come back as statuses.
public sealed partial class LlmDataDistClient
{
    private const int ShapeRankLimit = 32;

    partial void ValidateInitialize(InitializeArguments arguments)
    {
        if (!arguments.Options.ContainsKey(LlmOptionKeys.DeviceId))
        {
            throw new ArgumentException($"{LlmOptionKeys.DeviceId} is required by Initialize (set DeviceId).", "options");
        }
    }

    partial void ValidateSetRole(SetRoleArguments arguments) => RequireRole(arguments.Role, "role");

    partial void ValidateLinkLlmClusters(LinkLlmClustersArguments arguments) => RequireClusters(arguments.Clusters, "clusters");

    partial void ValidateUnlinkLlmClusters(UnlinkLlmClustersArguments arguments) => RequireClusters(arguments.Clusters, "clusters");

    partial void ValidatePullKvCache(PullKvCacheArguments arguments)
    {
        RequireSize(arguments.Size, "size");
        RequireExtParam(arguments.ExtParam, push: false, "extParam");
    }

    partial void ValidatePullKvBlocks(PullKvBlocksArguments arguments)
    {
        if (arguments.SrcCacheIndex.BatchIndex != 0)
        {
            throw new ArgumentException("srcCacheIndex.BatchIndex must be 0 for a block pull (blocks are named by the lists).", "srcCacheIndex");
        }

        RequireExtParam(arguments.ExtParam, push: false, "extParam");
        RequireBlockPairs(arguments.SrcBlocks, arguments.DstBlocks);
    }

    partial void ValidateCopyKvCache(CopyKvCacheArguments arguments) => RequireSize(arguments.Size, "size");

    partial void ValidateCopyKvBlocks(CopyKvBlocksArguments arguments)
    {
        var (srcBlocks, dstBlocksList) = (arguments.SrcBlocks, arguments.DstBlocksList);
        if (srcBlocks.Count == 0)
        {
            throw new ArgumentException("srcBlocks must not be empty.", "srcBlocks");
        }

        if (dstBlocksList.Count == 0)
        {
            throw new ArgumentException("dstBlocksList must hold at least one destination list.", "dstBlocksList");
        }

        for (var i = 0; i < dstBlocksList.Count; i++)
        {
            // The engine checks list lengths one list at a time, after copying the earlier lists; checking them all
            // first keeps a malformed call from changing anything.
            if (dstBlocksList[i].Count != srcBlocks.Count)
            {
                throw new ArgumentException($"dstBlocksList[{i}] has {dstBlocksList[i].Count} blocks; every destination list must have as many as srcBlocks ({srcBlocks.Count}).", "dstBlocksList");
            }
        }
    }

    partial void ValidatePushKvCache(PushKvCacheArguments arguments)
    {
        RequireDeviceSource(arguments.SrcCache);
        if (arguments.Size != -1)
        {
            throw new ArgumentOutOfRangeException("size", arguments.Size, "size must be -1 for a push: a push always moves whole rows.");
        }

        RequireExtParam(arguments.ExtParam, push: true, "extParam");
        RequirePushTensorCount(arguments.SrcCache, arguments.ExtParam);
    }

    partial void ValidatePushKvBlocks(PushKvBlocksArguments arguments)
    {
        RequireDeviceSource(arguments.SrcCache);
        RequireBlockPairs(arguments.SrcBlocks, arguments.DstBlocks);
        if (arguments.DstCacheIndex.BatchIndex != 0)
        {
            throw new ArgumentException("dstCacheIndex.BatchIndex must be 0 for a block push (blocks are named by the lists).", "dstCacheIndex");
        }

        RequireExtParam(arguments.ExtParam, push: true, "extParam");
        RequirePushTensorCount(arguments.SrcCache, arguments.ExtParam);
    }

    partial void ValidateRegisterKvCache(RegisterKvCacheArguments arguments)
    {
        var (cacheDesc, addrs) = (arguments.CacheDesc, arguments.Addrs);
        if (addrs.Count == 0)
        {
            throw new ArgumentException("addrs must not be empty.", "addrs");
        }

        if (addrs.Count != cacheDesc.NumTensors)
        {
            throw new ArgumentException($"addrs has {addrs.Count} addresses; it must have one per tensor (cacheDesc.NumTensors = {cacheDesc.NumTensors}).", "addrs");
        }

        for (var i = 0; i < addrs.Count; i++)
        {
            if (addrs[i] == 0)
            {
                throw new ArgumentException($"addrs[{i}] is 0; every address must be a real buffer.", "addrs");
            }
        }

        if (cacheDesc.Shape.Count == 0 || cacheDesc.Shape.Count >= ShapeRankLimit)
        {
            throw new ArgumentException($"cacheDesc.Shape has rank {cacheDesc.Shape.Count}; it must be 1 to {ShapeRankLimit - 1}.", "cacheDesc");
        }
    }

    private static void RequireRole(LlmRole role, string name)
    {
        if (role is not (LlmRole.Prompt or LlmRole.Decoder or LlmRole.Mix))
        {
            throw new ArgumentOutOfRangeException(name, role, "role must be Prompt, Decoder or Mix.");
        }
    }

    private static void RequireClusters(IReadOnlyList<ClusterInfo> clusters, string name)
    {
        if (clusters.Count == 0)
        {
            throw new ArgumentException("clusters must not be empty.", name);
        }

        // Every IP of every cluster, remote first then local, as the engines check them.
        for (var c = 0; c < clusters.Count; c++)
        {
            RequireIpv4(clusters[c].RemoteIpInfos, $"{name}[{c}].RemoteIpInfos", name);
            RequireIpv4(clusters[c].LocalIpInfos, $"{name}[{c}].LocalIpInfos", name);
        }
    }

    private static void RequireIpv4(IReadOnlyList<IpInfo> infos, string what, string name)
    {
        ArgumentNullException.ThrowIfNull(infos, what);
        for (var i = 0; i < infos.Count; i++)
        {
            var info = infos[i] ?? throw new ArgumentException($"{what}[{i}] is null.", name);
            if (!IsDottedIpv4(info.Ip))
            {
                throw new ArgumentException($"{what}[{i}].Ip '{info.Ip}' is not dotted IPv4 text; both engines accept only IPv4 here.", name);
            }
        }
    }

    /// <summary>Four decimal octets separated by dots, as inet_pton accepts them (no shorthand forms, no leading zeros).</summary>
    internal static bool IsDottedIpv4(string? text)
    {
        if (string.IsNullOrEmpty(text) || !IPAddress.TryParse(text, out var address) || address.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        var parts = text.Split('.');
        // IPAddress.TryParse reads "010" as octal 8; glibc's inet_pton, which both engines call, rejects a leading zero.
        return parts.Length == 4 && Array.TrueForAll(parts, p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit) && (p.Length == 1 || p[0] != '0'));
    }

    private static void RequireSize(long size, string name)
    {
        if (size != -1 && size <= 0)
        {
            throw new ArgumentOutOfRangeException(name, size, $"{name} must be -1 (a whole row) or greater than zero.");
        }
    }

    private static void RequireExtParam(KvCacheExtParam extParam, bool push, string name)
    {
        if (!extParam.SrcLayerRange.IsWellFormed)
        {
            throw new ArgumentException($"extParam.SrcLayerRange {extParam.SrcLayerRange} must have both ends >= -1 and first <= last.", name);
        }

        if (!extParam.DstLayerRange.IsWellFormed)
        {
            throw new ArgumentException($"extParam.DstLayerRange {extParam.DstLayerRange} must have both ends >= -1 and first <= last.", name);
        }

        if (extParam.TensorNumPerLayer == 0)
        {
            throw new ArgumentException("extParam.TensorNumPerLayer must be at least 1.", name);
        }

        if (push && extParam.SrcLayerRange.Last - extParam.SrcLayerRange.First != extParam.DstLayerRange.Last - extParam.DstLayerRange.First)
        {
            throw new ArgumentException($"A push needs source and destination layer ranges of equal length; got {extParam.SrcLayerRange} and {extParam.DstLayerRange}.", name);
        }
    }

    private static void RequireBlockPairs(IReadOnlyList<ulong> srcBlocks, IReadOnlyList<ulong> dstBlocks)
    {
        if (srcBlocks.Count == 0)
        {
            throw new ArgumentException("srcBlocks must not be empty.", nameof(srcBlocks));
        }

        if (srcBlocks.Count != dstBlocks.Count)
        {
            throw new ArgumentException($"srcBlocks ({srcBlocks.Count}) and dstBlocks ({dstBlocks.Count}) must have the same length: block j of the source goes to block j of the destination.", nameof(dstBlocks));
        }
    }

    private static void RequireDeviceSource(Cache srcCache)
    {
        if (srcCache.CacheDesc.Placement != CachePlacement.Device)
        {
            throw new ArgumentException("srcCache.CacheDesc.Placement must be Device: only device caches can be pushed.", nameof(srcCache));
        }
    }

    private static void RequirePushTensorCount(Cache srcCache, KvCacheExtParam extParam)
    {
        // With every layer selected, the engine derives the layer count from the caller's num_tensors.
        if (extParam.SrcLayerRange.IsAll && srcCache.CacheDesc.NumTensors == 0)
        {
            throw new ArgumentException("srcCache.CacheDesc.NumTensors must be set when pushing every layer: it decides how many layers are pushed.", nameof(srcCache));
        }
    }
}
