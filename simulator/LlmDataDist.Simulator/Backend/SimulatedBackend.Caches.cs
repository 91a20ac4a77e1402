using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Backend;

// AllocateCache / DeallocateCache (CE, §9.8–9.9) and RegisterKvCache / UnregisterKvCache (HX, §9.17–9.18).
public sealed partial class SimulatedBackend
{
    /// <summary>HX's serialised cache table may not exceed this (§8).</summary>
    private const long CacheTableBytesMax = 1_048_576;

    /// <inheritdoc />
    public async ValueTask<AllocateCacheResult> AllocateCacheAsync(CacheDesc cacheDesc, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cacheDesc);
        Enter();
        static AllocateCacheResult Fail(LlmStatus status) => new(status, new Cache());
        if (Profile == EngineProfile.HX)
        {
            return Fail(Why(LlmStatus.FeatureNotEnabled, "AllocateCache is CE only; HX registers caller memory with RegisterKvCache"));
        }

        if (!IsInitialized)
        {
            return Fail(Why(LlmStatus.Failed, $"instance {ClusterId} is not initialized"));
        }

        if (cacheDesc.NumTensors == 0 || cacheDesc.Placement != CachePlacement.Device)
        {
            return Fail(Why(LlmStatus.ParamInvalid, cacheDesc.NumTensors == 0 ? "the descriptor has 0 tensors" : "AllocateCache allocates device memory only (Placement must be Device)"));
        }

        // The id is consumed from here on: a later failure leaves a gap (§9.8), which keeps ids deterministic.
        var id = _nextCacheId++;
        // Steps 5–8 run on the device, one allocate request at a time, bounded by llm.SyncKvCacheWaitTime.
        return await DeviceRequestAsync(DeviceRequestKind.Allocate, () => AllocateOnDevice(id, cacheDesc), Fail, cancellationToken).ConfigureAwait(false);
    }

    private AllocateCacheResult AllocateOnDevice(long id, CacheDesc desc)
    {
        AllocateCacheResult Fail(LlmStatus status) => new(status, new Cache());
        var status = CacheGeometry.TryCreate(desc, Sizing.Device, checkRank: true, out var geometry);
        if (status != LlmStatus.Success)
        {
            return Fail(Why(status, $"the descriptor (shape [{string.Join(", ", desc.Shape)}], {desc.NumTensors} tensors) gives no valid cache geometry"));
        }

        var perTensor = RoundUp(geometry.TensorBytes, MemorySpace.AlignmentBytes);
        var needed = perTensor * desc.NumTensors * _npus.Count;
        if (_poolUsedBytes + needed > PoolBytes)
        {
            return Fail(Why(LlmStatus.DeviceOutOfMemory, $"{needed} bytes needed, {PoolBytes - _poolUsedBytes} of the {PoolBytes}-byte pool free (llm.BufPoolCfg)"));
        }

        var owned = new List<SimBuffer>();
        foreach (var npu in _npus)
        {
            for (var t = 0; t < desc.NumTensors; t++)
            {
                var result = _fabric.Memory.Device(npu).Allocate(geometry.TensorBytes, $"cluster{ClusterId}/cache{id}/t{t}");
                if (result.Status != AllocationStatus.Success)
                {
                    // Partial allocations are released, as the device function does.
                    foreach (var perSpace in owned.GroupBy(b => b.Space))
                    {
                        perSpace.Key.FreeAll([.. perSpace]);
                    }

                    return Fail(Why(LlmStatus.DeviceOutOfMemory, $"device memory allocation failed ({result.Status}); partial allocations were released"));
                }

                owned.Add(result.Buffer!);
            }
        }

        _poolUsedBytes += needed;
        var cache = new SimulatedCache(id, desc, geometry, owned.Select(b => b.Address).ToArray(), owned);
        _caches.Add(id, cache);
        return new AllocateCacheResult(LlmStatus.Success, new Cache(id, cache.Addresses, desc));
    }

    /// <inheritdoc />
    public async ValueTask<LlmStatus> DeallocateCacheAsync(long cacheId, CancellationToken cancellationToken = default)
    {
        Enter();
        if (Profile == EngineProfile.HX)
        {
            return Why(LlmStatus.FeatureNotEnabled, "DeallocateCache is CE only; HX unregisters with UnregisterKvCache");
        }

        if (!IsInitialized)
        {
            return Why(LlmStatus.Failed, $"instance {ClusterId} is not initialized");
        }

        // Doc≠code: the header comment promises SUCCESS for an unknown id; the engine returns KV_CACHE_NOT_EXIST.
        if (!_caches.ContainsKey(cacheId))
        {
            return Why(LlmStatus.KvCacheNotExist, $"cache {cacheId} does not exist on cluster {ClusterId}");
        }

        // The device frees the memory; a request that times out leaves the cache allocated (a choice: the device never
        // acted), so a retry can free it.
        return await DeviceRequestAsync(DeviceRequestKind.Deallocate, () =>
        {
            if (!_caches.Remove(cacheId, out var cache))
            {
                return Why(LlmStatus.KvCacheNotExist, $"cache {cacheId} was freed by an earlier request while this one queued"); // freed by an earlier request while this one queued
            }

            Release(cache);
            return LlmStatus.Success;
        }, static status => status, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<RegisterKvCacheResult> RegisterKvCacheAsync(CacheDesc cacheDesc, IReadOnlyList<ulong> addrs, RegisterCfg cfg, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cacheDesc);
        ArgumentNullException.ThrowIfNull(addrs);
        Enter();
        return ValueTask.FromResult(Register(cacheDesc, addrs));
    }

    private RegisterKvCacheResult Register(CacheDesc desc, IReadOnlyList<ulong> addrs)
    {
        RegisterKvCacheResult Fail(LlmStatus status) => new(status, 0);
        if (Profile == EngineProfile.CE)
        {
            return Fail(Why(LlmStatus.FeatureNotEnabled, "RegisterKvCache is HX only; CE allocates with AllocateCache"));
        }

        if (!IsInitialized)
        {
            return Fail(Why(LlmStatus.Failed, $"instance {ClusterId} is not initialized"));
        }

        if (addrs.Count == 0 || addrs.Count != desc.NumTensors || addrs.Contains(0UL)
            || desc.Shape.Count == 0 || desc.Shape.Count >= CacheGeometry.RankLimit)
        {
            return Fail(Why(LlmStatus.ParamInvalid, addrs.Count != desc.NumTensors || addrs.Count == 0 ? $"{addrs.Count} addresses for {desc.NumTensors} tensors"
                : addrs.Contains(0UL) ? "an address is 0" : $"shape rank {desc.Shape.Count} must be 1..{CacheGeometry.RankLimit - 1}"));
        }

        var id = _nextCacheId++;
        var status = CacheGeometry.TryCreate(desc, Sizing.Host, checkRank: true, out var geometry);
        if (status != LlmStatus.Success)
        {
            return Fail(Why(status, $"the descriptor (shape [{string.Join(", ", desc.Shape)}], {desc.NumTensors} tensors) gives no valid cache geometry"));
        }

        // Registration with the transfer engine needs real memory behind every tensor (unconfirmed status: the
        // simulator answers PARAM_INVALID, as for any address that resolves to nothing).
        foreach (var address in addrs)
        {
            if (!_fabric.Memory.TryResolve(address, geometry.TensorBytes, out _))
            {
                return Fail(Why(LlmStatus.ParamInvalid, $"address 0x{address:x} does not hold {geometry.TensorBytes} bytes of allocated memory"));
            }
        }

        var tableBytes = 24 + _caches.Values.Append(null).Sum(c => 64 + (8L * (c?.Desc.NumTensors ?? desc.NumTensors)));
        if (tableBytes > CacheTableBytesMax)
        {
            // The engine leaves the cache half-registered (effect unconfirmed); the simulator leaves it out.
            return Fail(Why(LlmStatus.ParamInvalid, $"the cache table would take {tableBytes} bytes > {CacheTableBytesMax}"));
        }

        _caches.Add(id, new SimulatedCache(id, desc, geometry, addrs.ToArray(), []));
        return new RegisterKvCacheResult(LlmStatus.Success, id);
    }

    /// <inheritdoc />
    public ValueTask<LlmStatus> UnregisterKvCacheAsync(long cacheId, CancellationToken cancellationToken = default)
    {
        Enter();
        if (Profile == EngineProfile.CE)
        {
            return Done(Why(LlmStatus.FeatureNotEnabled, "UnregisterKvCache is HX only; CE frees with DeallocateCache"));
        }

        if (!IsInitialized)
        {
            return Done(Why(LlmStatus.Failed, $"instance {ClusterId} is not initialized"));
        }

        _caches.Remove(cacheId); // an unknown id is SUCCESS too; the caller's memory is untouched
        return Done(LlmStatus.Success);
    }

    /// <summary>CE's device pool: llm.BufPoolCfg buf_pool_size, or the fabric's default.</summary>
    private long PoolBytes => _options!.BufPoolBytes ?? _fabric.PoolBytesDefault;

    private void Release(SimulatedCache cache)
    {
        // One batch per device (Owned lists device 0's tensors, then device 1's, …): linear in the tensor count.
        foreach (var perSpace in cache.Owned.GroupBy(b => b.Space))
        {
            perSpace.Key.FreeAll([.. perSpace]);
        }

        if (cache.Owned.Count > 0)
        {
            _poolUsedBytes -= RoundUp(cache.Geometry.TensorBytes, MemorySpace.AlignmentBytes) * cache.Owned.Count;
        }
    }

    private static long RoundUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;
}
