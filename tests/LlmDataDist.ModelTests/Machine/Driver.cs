using System.Collections.Immutable;
using LlmDataDist.ModelTests.Model;

namespace LlmDataDist.ModelTests.Machine;

/// <summary>Runs a command through the typed client on the simulator and reports what came back as an <see cref="Outcome"/>.</summary>
public static class Driver
{
    public static Outcome Execute(Sut sut, Command command) => sut.World.Run(async () =>
    {
        try
        {
            return await RunAsync(sut, command);
        }
        catch (LlmDataDistException ex)
        {
            var rets = ex.Clusters is null ? ImmutableArray<LlmStatus>.Empty : [.. ex.Clusters.Select(r => r.Status)];
            return Outcome.Of(ex.Status, rets);
        }
        catch (ArgumentException)
        {
            return Outcome.Rejection;
        }
    });

    private static async Task<Outcome> RunAsync(Sut sut, Command command)
    {
        var client = sut.Client(command.Slot);
        var slot = sut.Slots[command.Slot];
        switch (command)
        {
            case InitializeCmd c:
                await client.InitializeAsync(InitOptions(slot, c.Variant));
                return Outcome.Of(LlmStatus.Success);
            case FinalizeCmd:
                await client.ShutdownAsync();
                foreach (var key in sut.Caches.Keys.Where(k => k.Slot == command.Slot).ToArray())
                {
                    sut.Caches.Remove(key);
                }

                return Outcome.Of(LlmStatus.Success);
            case SetRoleCmd c:
                var roleOptions = new LlmDataDistOptions();
                switch (c.Listen)
                {
                    case ListenChoice.Canonical:
                        roleOptions.ListenIpInfo = Sut.ToIp(slot.Canonical);
                        break;
                    case ListenChoice.Alternate:
                        roleOptions.ListenIpInfo = Sut.ToIp(slot.Alternate);
                        break;
                    case ListenChoice.Malformed:
                        roleOptions.AdditionalOptions[LlmOptionKeys.ListenIpInfo] = slot.Ip; // no port
                        break;
                }

                await client.SetRoleAsync(c.Role, roleOptions);
                return Outcome.Of(LlmStatus.Success);
            case LinkCmd c:
            {
                var results = await client.LinkLlmClustersAsync(Clusters(c.Targets, c.Shape), c.Shape == LinkShape.ZeroTimeout ? TimeSpan.Zero : null);
                return Outcome.Of(results.Status, [.. results.Select(r => r.Status)]);
            }

            case UnlinkCmd c:
            {
                var results = await client.UnlinkLlmClustersAsync(Clusters(c.Targets, c.Shape), c.Shape == LinkShape.ZeroTimeout ? TimeSpan.Zero : null, c.Force);
                return Outcome.Of(results.Status, [.. results.Select(r => r.Status)]);
            }

            case AllocateCmd c:
            {
                var cache = await client.AllocateCacheAsync(Descs.Of(c.Desc));
                sut.Caches[(c.Slot, cache.CacheId)] = cache;
                var bytes = Descs.TensorBytes(cache.CacheDesc)!.Value;
                for (var t = 0; t < cache.TensorAddrs.Count; t++)
                {
                    var pattern = new byte[bytes];
                    for (var i = 0; i < pattern.Length; i++)
                    {
                        pattern[i] = Reference.FillByte(slot.Id, cache.CacheId, t, i);
                    }

                    sut.Write(cache.TensorAddrs[t], pattern);
                }

                return Outcome.Allocated(cache.CacheId);
            }

            case DeallocateCmd c:
                await client.DeallocateCacheAsync(c.Id);
                sut.Caches.Remove((c.Slot, c.Id));
                return Outcome.Of(LlmStatus.Success);
            case RegisterCmd c:
                var addresses = Enumerable.Range(1, c.Addresses).Select(i => c.WithZero && i == 1 ? 0UL : (ulong)i << 20).ToArray();
                await client.RegisterKvCacheAsync(new CacheDesc { NumTensors = 4, DataType = DataType.Int32, Shape = [4, 16] }, addresses, new RegisterCfg());
                return Outcome.Of(LlmStatus.Success);
            case UnregisterCmd c:
                await client.UnregisterKvCacheAsync(c.Id);
                return Outcome.Of(LlmStatus.Success);
            case PullCacheCmd c:
                await client.PullKvCacheAsync(new CacheIndex(c.Remote, c.SrcId, c.SrcRow), Local(sut, c.Slot, c.DstId), c.DstRow, c.Size, ExtParam(c.Ext));
                return Outcome.Of(LlmStatus.Success);
            case PullBlocksCmd c:
                await client.PullKvBlocksAsync(new CacheIndex(c.Remote, c.SrcId, c.SrcBatch), Local(sut, c.Slot, c.DstId), [.. c.SrcBlocks], [.. c.DstBlocks], ExtParam(c.Ext));
                return Outcome.Of(LlmStatus.Success);
            case PushCacheCmd c:
                await client.PushKvCacheAsync(PushSource(sut, c.Slot, c.Src), new CacheIndex(c.Remote, c.DstId, c.DstRow), c.SrcRow, c.Size, ExtParam(c.Ext));
                return Outcome.Of(LlmStatus.Success);
            case PushBlocksCmd c:
                await client.PushKvBlocksAsync(PushSource(sut, c.Slot, c.Src), new CacheIndex(c.Remote, c.DstId, c.DstBatch), [.. c.SrcBlocks], [.. c.DstBlocks], ExtParam(c.Ext));
                return Outcome.Of(LlmStatus.Success);
            case CopyCacheCmd c:
            {
                var src = Local(sut, c.Slot, c.SrcId);
                var dst = Local(sut, c.Slot, c.DstId);
                if (c.SrcAsHost)
                {
                    src = src with { CacheDesc = src.CacheDesc with { Placement = CachePlacement.Host } };
                }

                if (c.BadDstDesc)
                {
                    dst = dst with { CacheDesc = dst.CacheDesc with { NumTensors = dst.CacheDesc.NumTensors + 1 } };
                }

                await client.CopyKvCacheAsync(src, dst, c.SrcRow, c.DstRow, c.Offset, c.Size);
                return Outcome.Of(LlmStatus.Success);
            }

            case CopyBlocksCmd c:
                await client.CopyKvBlocksAsync(Local(sut, c.Slot, c.SrcId), Local(sut, c.Slot, c.DstId), [.. c.SrcBlocks], [.. c.DstLists.Select(l => (IReadOnlyList<ulong>)[.. l])]);
                return Outcome.Of(LlmStatus.Success);
            default:
                throw new ArgumentOutOfRangeException(nameof(command), command, "unknown command");
        }
    }

    /// <summary>The cache the client returned, or a stand-in with sample A's descriptor and no addresses for an id it does not know.</summary>
    private static Cache Local(Sut sut, int slot, long id) =>
        sut.Caches.TryGetValue((slot, id), out var cache) ? cache : new Cache(id, [], Descs.Of(DescChoice.A));

    private static Cache PushSource(Sut sut, int slot, PushSource src)
    {
        var cache = Local(sut, slot, src.Id);
        var desc = cache.CacheDesc with
        {
            NumTensors = src.DescTensors ?? cache.CacheDesc.NumTensors,
            Placement = src.Host ? CachePlacement.Host : CachePlacement.Device,
        };
        return cache with { CacheDesc = desc };
    }

    private static KvCacheExtParam ExtParam(Ext e) => new(new LayerRange(e.SrcFirst, e.SrcLast), new LayerRange(e.DstFirst, e.DstLast), e.N);

    private static List<ClusterInfo> Clusters(ImmutableArray<LinkTarget> targets, LinkShape shape)
    {
        var list = new List<ClusterInfo>();
        for (var i = 0; i < targets.Length; i++)
        {
            var t = targets[i];
            var local = new IpInfo(t.LocalIp, 0);
            var remote = new IpInfo(t.Remote.Ip, t.Remote.Port);
            var info = new ClusterInfo { RemoteClusterId = t.Id, LocalIpInfos = [local], RemoteIpInfos = [remote] };
            info = shape switch
            {
                LinkShape.TwoDevices => info with { LocalIpInfos = [local, local], RemoteIpInfos = [remote, remote] },
                LinkShape.EmptyLocal => info with { LocalIpInfos = [] },
                LinkShape.LocalDiffers when i == targets.Length - 1 && targets.Length >= 2 => info with { LocalIpInfos = [new IpInfo("10.9.9.8", 0)] },
                LinkShape.BadIp when i == 0 => info with { RemoteIpInfos = [new IpInfo("10.0.0.256", t.Remote.Port)] },
                _ => info,
            };
            list.Add(info);
        }

        return shape == LinkShape.Empty ? [] : list;
    }

    private static LlmDataDistOptions InitOptions(Slot slot, InitVariant variant)
    {
        var options = new LlmDataDistOptions { DeviceId = slot.DeviceId, ListenIpInfo = Sut.ToIp(slot.Canonical) };
        switch (variant)
        {
            case InitVariant.SwitchRole:
                options.EnableSwitchRole = true;
                break;
            case InitVariant.SwitchRoleOff:
                options.EnableSwitchRole = false;
                break;
            case InitVariant.SmallPool:
                options.BufPoolCfg = $"{{\"buf_pool_size\": {Reference.SmallPoolBytes}}}";
                break;
            case InitVariant.AlternateListen:
                options.ListenIpInfo = Sut.ToIp(slot.Alternate);
                break;
            case InitVariant.NoListen:
                options.ListenIpInfo = null;
                break;
            case InitVariant.BadDeviceId:
                options.DeviceId = null;
                options.AdditionalOptions[LlmOptionKeys.DeviceId] = "dev0";
                break;
            case InitVariant.NegativeDeviceId:
                options.DeviceId = -1;
                break;
            case InitVariant.MissingDeviceId:
                options.DeviceId = null;
                break;
            case InitVariant.BadListen:
                options.ListenIpInfo = null;
                options.AdditionalOptions[LlmOptionKeys.ListenIpInfo] = slot.Ip; // no port
                break;
            case InitVariant.BadSwitchRole:
                options.AdditionalOptions[LlmOptionKeys.EnableSwitchRole] = "2";
                break;
            case InitVariant.BadSyncWait:
                options.AdditionalOptions[LlmOptionKeys.SyncKvCacheWaitTime] = "1s";
                break;
            case InitVariant.BadPool:
                options.BufPoolCfg = "{}";
                break;
        }

        return options;
    }
}
