namespace LlmDataDist.Conformance;

// §2 and §9 "Possible statuses", §12.4: every status a backend returns is one the reference lists for that method.
// Every scenario of the suite checks it through CheckedHarness; here a seeded random walk of calls (valid and
// invalid, on every method, with links made and broken) checks it on sequences no hand-written test has.
public abstract partial class ConformanceSuite
{
    [SkippableTheory]
    [InlineData(ConformanceProfile.CE, 1)]
    [InlineData(ConformanceProfile.CE, 2)]
    [InlineData(ConformanceProfile.CE, 3)]
    [InlineData(ConformanceProfile.HX, 1)]
    [InlineData(ConformanceProfile.HX, 2)]
    [InlineData(ConformanceProfile.HX, 3)]
    public void Random_call_sequences_return_only_statuses_the_reference_lists(ConformanceProfile profile, int seed)
    {
        SkipUnlessCapable(profile);
        using var harness = new CheckedHarness(CreateHarness(profile));
        var h = harness;
        h.Run(async () =>
        {
            var random = new Random(seed);
            T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];
            var instances = new[]
            {
                (Backend: h.Create(PromptId, LlmRole.Prompt, PromptServer), Server: PromptServer, Options: Options(0, PromptListen, (LlmOptionKeys.EnableSwitchRole, "1"), (LlmOptionKeys.SyncKvCacheWaitTime, "5"))),
                (Backend: h.Create(DecoderId, LlmRole.Decoder, DecoderServer), Server: DecoderServer, Options: Options(0, $"{DecoderIp}:{PromptPort}", (LlmOptionKeys.EnableSwitchRole, "1"))),
                (Backend: h.Create(3, LlmRole.Mix, DecoderServer), Server: DecoderServer, Options: Options(1, null, (LlmOptionKeys.BufPoolCfg, "{\"buf_pool_size\": 8192}"))),
            };
            ulong[] ids = [PromptId, DecoderId, 3];
            var caches = instances.Select(_ => new List<Cache> { new(99, [], SampleDesc) }).ToArray();
            CacheDesc[] descs = [SampleDesc, Tensors(2, 8, 16), Tensors(4, 8, 8), Tensors(4, 4, 16), new CacheDesc { NumTensors = 2, DataType = DataType.Int8, Shape = [1, 1 << 20] }, SampleDesc with { Shape = [] }];
            ClusterInfo[] clusters = [ToPrompt(), ToDecoder(), ToPrompt(remoteId: 3), ToPrompt(port: 1), Cluster(DecoderId, [PromptIp], (DecoderIp, PromptPort)), Cluster(PromptId, [], (PromptIp, PromptPort)), ToPrompt(localIp: "10.0.0.9")];
            KvCacheExtParam[] exts = [new(), new(), Layers(0, 0, 1, 1), Layers(1, 1, 0, 0, 1), Layers(0, 1, 0, 0), Layers(0, 0, 0, 0, 3), Layers(-1, -1, 1, 1), Layers(0, 0, -1, -1)];
            ulong[][] blocks = [[0], [1, 2], [7], [8], []];

            // A common starting point: everyone initialized, the decoder linked to the prompt, a sample cache each.
            for (var i = 0; i < instances.Length; i++)
            {
                await instances[i].Backend.InitializeAsync(instances[i].Options);
                caches[i].Add(await CacheAsync(h, instances[i].Backend, instances[i].Server));
            }

            await instances[1].Backend.LinkLlmClustersAsync([ToPrompt()], 1000);
            for (var step = 0; step < 250; step++)
            {
                var me = random.Next(instances.Length);
                var (b, server, options) = instances[me];
                var other = random.Next(instances.Length);
                var cache = Pick(caches[me]);
                var index = new CacheIndex(random.Next(8) == 0 ? 77UL : ids[other], Pick(caches[other]).CacheId, (uint)random.Next(0, 9));
                switch (random.Next(18))
                {
                    case 0:
                        await b.InitializeAsync(random.Next(4) == 0 ? Parse("llm.DeviceId=x") : options);
                        break;
                    case 1:
                        if (random.Next(4) == 0)
                        {
                            await b.ShutdownAsync();
                        }

                        break;
                    case 2:
                        await b.SetRoleAsync(Pick([LlmRole.Prompt, LlmRole.Decoder, LlmRole.Mix, LlmRole.End]), random.Next(2) == 0 ? NoOptions : new Dictionary<string, string> { [LlmOptionKeys.ListenIpInfo] = PromptListen });
                        break;
                    case 3:
                    case 4:
                        await b.LinkLlmClustersAsync([.. Enumerable.Range(0, random.Next(1, 3)).Select(_ => Pick(clusters))], Pick([1000, 1, 0]));
                        break;
                    case 5:
                        await b.UnlinkLlmClustersAsync([.. Enumerable.Range(0, random.Next(1, 3)).Select(_ => Pick(clusters))], Pick([1000, 1]), random.Next(2) == 0);
                        break;
                    case 6:
                        if (h.Profile == ConformanceProfile.CE)
                        {
                            var allocated = await b.AllocateCacheAsync(Pick(descs));
                            if (allocated.Status == LlmStatus.Success)
                            {
                                caches[me].Add(allocated.Cache);
                            }
                        }
                        else
                        {
                            var desc = Pick(descs);
                            var addresses = desc.Shape.Count == 0 ? [] : Enumerable.Range(0, (int)desc.NumTensors).Select(_ => h.AllocateDeviceMemory(server, 0, TensorBytes(desc))).ToArray();
                            var registered = await b.RegisterKvCacheAsync(desc, addresses, new RegisterCfg());
                            if (registered.Status == LlmStatus.Success)
                            {
                                caches[me].Add(new Cache(registered.CacheId, addresses, desc));
                            }
                        }

                        break;
                    case 7:
                        await b.DeallocateCacheAsync(cache.CacheId);
                        await b.UnregisterKvCacheAsync(cache.CacheId);
                        break;
                    case 8:
                    case 9:
                        await b.PullKvCacheAsync(index, cache, (uint)random.Next(0, 9), Pick([-1L, -1L, 0L, 32L, 100L]), Pick(exts));
                        break;
                    case 10:
                        await b.PullKvBlocksAsync(index with { BatchIndex = Pick([0u, 0u, 1u]) }, cache, Pick(blocks), Pick(blocks), Pick(exts));
                        break;
                    case 11:
                    case 12:
                        await b.PushKvCacheAsync(cache, index, (uint)random.Next(0, 9), Pick([-1L, -1L, 64L]), Pick(exts));
                        break;
                    case 13:
                        await b.PushKvBlocksAsync(cache, index with { BatchIndex = Pick([0u, 0u, 1u]) }, Pick(blocks), Pick(blocks), Pick(exts));
                        break;
                    case 14:
                        await b.CopyKvCacheAsync(cache, Pick(caches[me]), (uint)random.Next(0, 9), (uint)random.Next(0, 9), Pick([0UL, 16UL, 64UL]), Pick([-1L, 8L, 0L]));
                        break;
                    case 16:
                    case 17:
                        // A well-formed transfer between the first caches, so that walks also reach the data path.
                        _ = random.Next(2) == 0
                            ? await instances[1].Backend.PullKvCacheAsync(new CacheIndex(PromptId, caches[0][1].CacheId, 0), caches[1][1], 0, -1, new KvCacheExtParam())
                            : await instances[0].Backend.PushKvCacheAsync(caches[0][1], new CacheIndex(DecoderId, caches[1][1].CacheId, 0), 0, -1, new KvCacheExtParam());
                        break;
                    default:
                        await b.CopyKvBlocksAsync(cache, Pick(caches[me]), Pick(blocks), [.. Enumerable.Range(0, random.Next(0, 3)).Select(_ => Pick(blocks))]);
                        break;
                }

            }
        });

        // The walk reached beyond the argument checks: transfers got as far as the link or the remote side, and many
        // kinds of status occurred.
        var seen = harness.Seen;
        var deep = new[] { LlmStatus.Success, LlmStatus.NotYetLink, LlmStatus.KvCacheNotExist, LlmStatus.Timeout, LlmStatus.WaitProcTimeout, LlmStatus.LinkBusy };
        Assert.True(seen.Keys.Any(k => ReferenceStatuses.IsTransfer(k.Method) && deep.Contains(k.Status)), string.Join(", ", seen.Keys));
        Assert.True(seen.Keys.Select(k => k.Status).Distinct().Count() >= 6, string.Join(", ", seen.Keys));
    }

    [SkippableFact]
    public void The_status_table_follows_the_engines_status_fidelity_rules()
    {
        // §12.4: never TIMEOUT on CE; never the CE-only codes on HX; §0.1: the methods an engine lacks answer one status.
        foreach (var method in ReferenceStatuses.Methods)
        {
            Assert.DoesNotContain(LlmStatus.Timeout, ReferenceStatuses.Listed(ConformanceProfile.CE, method));
            foreach (var ceOnly in new[] { LlmStatus.WaitProcTimeout, LlmStatus.ProcessingLink, LlmStatus.ClusterNumExceedLimit, LlmStatus.LinkBusy, LlmStatus.NotifyPromptUnlinkFailed, LlmStatus.DeviceOutOfMemory })
            {
                Assert.DoesNotContain(ceOnly, ReferenceStatuses.Listed(ConformanceProfile.HX, method));
            }
        }

        foreach (var method in new[] { "AllocateCache", "DeallocateCache", "CopyKvCache", "CopyKvBlocks" })
        {
            Assert.Equal([LlmStatus.FeatureNotEnabled], ReferenceStatuses.Listed(ConformanceProfile.HX, method));
        }

        foreach (var method in new[] { "RegisterKvCache", "UnregisterKvCache" })
        {
            Assert.Equal([LlmStatus.FeatureNotEnabled], ReferenceStatuses.Listed(ConformanceProfile.CE, method));
        }

        Assert.False(ReferenceStatuses.IsAllowed(ConformanceProfile.CE, "PullKvCache", (LlmStatus)507056)); // raw ACL codes: HX transfers only
        Assert.True(ReferenceStatuses.IsAllowed(ConformanceProfile.HX, "PullKvCache", (LlmStatus)507056));
        Assert.False(ReferenceStatuses.IsAllowed(ConformanceProfile.HX, "LinkLlmClusters", (LlmStatus)507056));
    }
}
