namespace LlmDataDist.Conformance;

// §9.8–9.9 (CE AllocateCache / DeallocateCache) and §9.17–9.18 (HX RegisterKvCache / UnregisterKvCache).
public abstract partial class ConformanceSuite
{
    private async Task<ILlmDataDistBackend> InitializedAsync(IConformanceHarness h, params (string Key, string Value)[] extra)
    {
        var b = h.Create(DecoderId, LlmRole.Decoder);
        Assert.Equal(LlmStatus.Success, await b.InitializeAsync(Options(0, null, extra)));
        return b;
    }

    [SkippableFact]
    public void CE_allocate_gives_ids_from_1_and_one_512_aligned_address_per_tensor() => Scenario(ConformanceProfile.CE, async h =>
    {
        var b = await InitializedAsync(h);
        var a = await b.AllocateCacheAsync(SampleDesc);
        var c = await b.AllocateCacheAsync(SampleDesc);
        Assert.Equal((LlmStatus.Success, 1L, LlmStatus.Success, 2L), (a.Status, a.Cache.CacheId, c.Status, c.Cache.CacheId));
        Assert.Equal(4, a.Cache.TensorAddrs.Count);
        Assert.All(a.Cache.TensorAddrs, address => Assert.Equal(0UL, address % 512));
        Assert.Equal(4, a.Cache.TensorAddrs.Concat(c.Cache.TensorAddrs).Distinct().Count() / 2);
        Assert.Equal(SampleDesc, a.Cache.CacheDesc);
    });

    [SkippableFact]
    public void CE_allocate_consumes_an_id_only_once_past_the_placement_check() => Scenario(ConformanceProfile.CE, async h =>
    {
        var b = await InitializedAsync(h);
        Assert.Equal(LlmStatus.ParamInvalid, (await b.AllocateCacheAsync(SampleDesc with { NumTensors = 0 })).Status);
        Assert.Equal(LlmStatus.ParamInvalid, (await b.AllocateCacheAsync(SampleDesc with { Placement = CachePlacement.Host })).Status);
        Assert.Equal(1L, (await b.AllocateCacheAsync(SampleDesc)).Cache.CacheId);
        Assert.Equal(LlmStatus.ParamInvalid, (await b.AllocateCacheAsync(SampleDesc with { Shape = [] })).Status);         // id 2 consumed
        Assert.Equal(LlmStatus.ParamInvalid, (await b.AllocateCacheAsync(SampleDesc with { DataType = DataType.String })).Status); // id 3 consumed
        Assert.Equal(4L, (await b.AllocateCacheAsync(SampleDesc)).Cache.CacheId);
    });

    [SkippableFact]
    public void CE_allocate_beyond_the_buffer_pool_is_device_out_of_memory_and_deallocation_frees_it() => Scenario(ConformanceProfile.CE, async h =>
    {
        // 4 tensors of 512 bytes: 2048 bytes a cache; a pool of 4096 holds two.
        var b = await InitializedAsync(h, (LlmOptionKeys.BufPoolCfg, "{\"buf_pool_size\": 4096}"));
        Assert.Equal(LlmStatus.Success, (await b.AllocateCacheAsync(SampleDesc)).Status);
        Assert.Equal(LlmStatus.Success, (await b.AllocateCacheAsync(SampleDesc)).Status);
        Assert.Equal(LlmStatus.DeviceOutOfMemory, (await b.AllocateCacheAsync(SampleDesc)).Status);
        Assert.Equal(LlmStatus.Success, await b.DeallocateCacheAsync(1));
        Assert.Equal(LlmStatus.Success, (await b.AllocateCacheAsync(SampleDesc)).Status);
    });

    [SkippableFact]
    public void CE_deallocate_of_an_unknown_or_freed_id_is_kv_cache_not_exist_as_the_code_does() => Scenario(ConformanceProfile.CE, async h =>
    {
        var b = await InitializedAsync(h);
        Assert.Equal(LlmStatus.KvCacheNotExist, await b.DeallocateCacheAsync(1));
        Assert.Equal(LlmStatus.Success, (await b.AllocateCacheAsync(SampleDesc)).Status);
        Assert.Equal(LlmStatus.Success, await b.DeallocateCacheAsync(1));
        Assert.Equal(LlmStatus.KvCacheNotExist, await b.DeallocateCacheAsync(1));
        Assert.Equal(LlmStatus.KvCacheNotExist, await b.DeallocateCacheAsync(0));
    });

    [SkippableFact]
    public void HX_lacks_allocation_and_copies_and_CE_lacks_registration() => Scenario(ConformanceProfile.HX, async h =>
    {
        var b = await InitializedAsync(h);
        var cache = new Cache { CacheId = 1, CacheDesc = SampleDesc };
        Assert.Equal(LlmStatus.FeatureNotEnabled, (await b.AllocateCacheAsync(SampleDesc)).Status);
        Assert.Equal(LlmStatus.FeatureNotEnabled, await b.DeallocateCacheAsync(1));
        Assert.Equal(LlmStatus.FeatureNotEnabled, await b.CopyKvCacheAsync(cache, cache, 0, 1, 0, -1));
        Assert.Equal(LlmStatus.FeatureNotEnabled, await b.CopyKvBlocksAsync(cache, cache, [0], [[1]]));
        using var ce = CreateHarness(ConformanceProfile.CE);
        ce.Run(async () =>
        {
            var c = await InitializedAsync(ce);
            Assert.Equal(LlmStatus.FeatureNotEnabled, (await c.RegisterKvCacheAsync(SampleDesc, [ce.AllocateDeviceMemory(0, 0, 512)], new RegisterCfg())).Status);
            Assert.Equal(LlmStatus.FeatureNotEnabled, await c.UnregisterKvCacheAsync(1));
        });
    });

    [SkippableFact]
    public void HX_register_checks_addresses_before_consuming_an_id() => Scenario(ConformanceProfile.HX, async h =>
    {
        var b = await InitializedAsync(h);
        var good = Enumerable.Range(0, 4).Select(_ => h.AllocateDeviceMemory(0, 0, 512)).ToArray();
        Assert.Equal(LlmStatus.ParamInvalid, (await b.RegisterKvCacheAsync(SampleDesc, [], new RegisterCfg())).Status);
        Assert.Equal(LlmStatus.ParamInvalid, (await b.RegisterKvCacheAsync(SampleDesc, good[..3], new RegisterCfg())).Status);
        Assert.Equal(LlmStatus.ParamInvalid, (await b.RegisterKvCacheAsync(SampleDesc, [good[0], good[1], good[2], 0], new RegisterCfg())).Status);
        Assert.Equal(LlmStatus.ParamInvalid, (await b.RegisterKvCacheAsync(SampleDesc with { Shape = [] }, good, new RegisterCfg())).Status);
        Assert.Equal(1L, (await b.RegisterKvCacheAsync(SampleDesc, good, new RegisterCfg())).CacheId);
        Assert.Equal(LlmStatus.ParamInvalid, (await b.RegisterKvCacheAsync(SampleDesc with { Shape = [8, 0] }, good, new RegisterCfg())).Status); // id 2 consumed
        Assert.Equal(3L, (await b.RegisterKvCacheAsync(SampleDesc, good, new RegisterCfg())).CacheId); // the same memory twice is allowed
    });

    [SkippableFact]
    public void HX_register_of_memory_that_does_not_exist_is_param_invalid() => Scenario(ConformanceProfile.HX, async h =>
    {
        var b = await InitializedAsync(h);
        var small = h.AllocateDeviceMemory(0, 0, 256); // a tensor needs 512
        Assert.Equal(LlmStatus.ParamInvalid, (await b.RegisterKvCacheAsync(SampleDesc with { NumTensors = 1 }, [small], new RegisterCfg())).Status);
        Assert.Equal(LlmStatus.ParamInvalid, (await b.RegisterKvCacheAsync(SampleDesc with { NumTensors = 1 }, [0x10], new RegisterCfg())).Status);
    });

    [SkippableFact]
    public void HX_unregister_of_an_unknown_id_succeeds() => Scenario(ConformanceProfile.HX, async h =>
    {
        var b = await InitializedAsync(h);
        Assert.Equal(LlmStatus.Success, await b.UnregisterKvCacheAsync(42));
    });
    [SkippableFact]
    public void HX_register_does_not_enforce_the_documented_240_addresses() => Scenario(ConformanceProfile.HX, async h =>
    {
        // Doc≠code (§11 row 7): the docs cap a registration at 240 addresses; the code does not check.
        var b = await InitializedAsync(h);
        var memory = h.AllocateDeviceMemory(0, 0, 4);
        var many = await b.RegisterKvCacheAsync(new CacheDesc { NumTensors = 241, DataType = DataType.Int32, Shape = [1] }, Enumerable.Repeat(memory, 241).ToArray(), new RegisterCfg());
        Assert.Equal((LlmStatus.Success, 1L), (many.Status, many.CacheId));
    });
    [SkippableFact]
    public void CE_an_allocation_the_pool_cannot_hold_consumes_its_id() => Scenario(ConformanceProfile.CE, async h =>
    {
        // §9.8: DEVICE_OUT_OF_MEMORY is step 7, after the id is consumed at step 4.
        var b = await InitializedAsync(h, (LlmOptionKeys.BufPoolCfg, "{\"buf_pool_size\": 2048}"));
        Assert.Equal(LlmStatus.DeviceOutOfMemory, (await b.AllocateCacheAsync(SampleDesc with { NumTensors = 5 })).Status); // id 1 consumed
        var next = await b.AllocateCacheAsync(SampleDesc);
        Assert.Equal((LlmStatus.Success, 2L), (next.Status, next.Cache.CacheId));
    });

    [SkippableFact]
    public void HX_a_registration_whose_memory_does_not_resolve_consumes_its_id() => Scenario(ConformanceProfile.HX, async h =>
    {
        // §9.17: the memory registration (step 8) comes after the id is consumed (step 6).
        var b = await InitializedAsync(h);
        var one = SampleDesc with { NumTensors = 1 };
        Assert.Equal(LlmStatus.ParamInvalid, (await b.RegisterKvCacheAsync(one, [h.AllocateDeviceMemory(0, 0, 256)], new RegisterCfg())).Status); // id 1 consumed
        var next = await b.RegisterKvCacheAsync(one, [h.AllocateDeviceMemory(0, 0, 512)], new RegisterCfg());
        Assert.Equal((LlmStatus.Success, 2L), (next.Status, next.CacheId));
    });
}
