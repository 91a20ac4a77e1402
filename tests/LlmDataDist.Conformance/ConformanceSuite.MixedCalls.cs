namespace LlmDataDist.Conformance;

// §6.3–6.4 per-cluster results when one call mixes outcomes, and §8–9.11 rules a call reaches only with unusual
// arguments: CE pulling from its own id, tensor_num_per_layer above the tensor count, HX host registrations.
public abstract partial class ConformanceSuite
{
    [SkippableFact]
    public void CE_a_failed_cluster_fails_the_link_call_and_only_it_is_rolled_back() => Scenario(ConformanceProfile.CE, async h =>
    {
        var (pair, src, dst, _, _) = await FilledAsync(h, link: false);
        var second = await ExtraPromptAsync(h, 3, PromptPort + 1);
        var nobody = ToPrompt(remoteId: 9, port: 1);
        var first = await pair.Decoder.LinkLlmClustersAsync([ToPrompt(), nobody], 1000);
        Assert.Equal(LlmStatus.LinkFailed, first.Status);
        Assert.Equal([LlmStatus.Success, LlmStatus.LinkFailed], first.Rets);
        Assert.Equal(LlmStatus.Success, await PullRow0Async(pair.Decoder, src, dst)); // the cluster that linked stays linked
        // ALREADY_LINK and REPEAT_REQUEST do not fail the call; a LINK_FAILED among them does.
        var toSecond = ToPrompt(remoteId: 3, port: PromptPort + 1);
        var again = await pair.Decoder.LinkLlmClustersAsync([ToPrompt(), toSecond, toSecond], 1000);
        Assert.Equal(LlmStatus.Success, again.Status);
        Assert.Equal([LlmStatus.AlreadyLink, LlmStatus.Success, LlmStatus.RepeatRequest], again.Rets);
        var mixed = await pair.Decoder.LinkLlmClustersAsync([toSecond, nobody], 1000);
        Assert.Equal(LlmStatus.LinkFailed, mixed.Status);
        Assert.Equal([LlmStatus.AlreadyLink, LlmStatus.LinkFailed], mixed.Rets);
        GC.KeepAlive(second);
    });

    [SkippableFact]
    public void CE_an_unlink_call_fails_when_any_cluster_is_neither_success_nor_not_yet_link_and_the_others_still_unlink() => Scenario(ConformanceProfile.CE, async h =>
    {
        var (pair, src, dst, _, _) = await FilledAsync(h, link: false);
        var second = await ExtraPromptAsync(h, 3, PromptPort + 1);
        var toSecond = ToPrompt(remoteId: 3, port: PromptPort + 1);
        Assert.Equal([LlmStatus.Success, LlmStatus.Success], (await pair.Decoder.LinkLlmClustersAsync([ToPrompt(), toSecond], 1000)).Rets);
        var gentle = await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt(remoteId: 9), toSecond], 1000, false);
        Assert.Equal(LlmStatus.Success, gentle.Status);
        Assert.Equal([LlmStatus.NotYetLink, LlmStatus.Success], gentle.Rets);
        var otherIp = ToPrompt(remoteIp: "10.0.0.9");
        var failing = await pair.Decoder.UnlinkLlmClustersAsync([otherIp, toSecond], 1000, false);
        Assert.Equal(LlmStatus.UnlinkFailed, failing.Status);
        Assert.Equal([LlmStatus.ParamInvalid, LlmStatus.NotYetLink], failing.Rets);
        Assert.Equal(LlmStatus.Success, await PullRow0Async(pair.Decoder, src, dst)); // the cluster named with other IPs keeps its link
        GC.KeepAlive(second);
    });

    [SkippableFact]
    public void CE_pulling_from_ones_own_cluster_id_is_only_not_yet_link() => Scenario(ConformanceProfile.CE, async h =>
    {
        var (pair, _, dst, _, before) = await FilledAsync(h);
        Assert.Equal(LlmStatus.NotYetLink, await pair.Decoder.PullKvCacheAsync(new CacheIndex(DecoderId, dst.CacheId, 0), dst, 1, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.NotYetLink, await pair.Decoder.PullKvBlocksAsync(new CacheIndex(DecoderId, dst.CacheId, 0), dst, [0], [1], new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), []);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void More_tensors_per_layer_than_the_cache_holds_fails_wherever_layers_are_used(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, source, before) = await FilledAsync(h);
        var index = new CacheIndex(PromptId, src.CacheId, 0);
        // Pull with ranges: layer 0 of 5 tensors lies beyond 4 tensors.
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvCacheAsync(index, dst, 0, -1, Layers(0, 0, 0, 0, 5)));
        // Push of every layer: 4 / 5 layers, not divisible.
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.PushKvCacheAsync(src, new CacheIndex(DecoderId, dst.CacheId, 0), 0, -1, Layers(-1, -1, -1, -1, 5)));
        AssertOnlyChanged(before, Snapshot(h, dst), []);
        // A pull without ranges pairs tensors i ↔ i and never looks at N (§9.10).
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvCacheAsync(index with { BatchIndex = 2 }, dst, 1, -1, Layers(-1, -1, -1, -1, 5)));
        AssertOnlyChanged(before, Snapshot(h, dst), Enumerable.Range(0, 4).Select(t => (t, 64L, Slice(source[t], 128, 64))));
    });

    [SkippableFact]
    public void HX_registers_host_memory_and_ignores_the_register_config() => Scenario(ConformanceProfile.HX, async h =>
    {
        var b = await InitializedAsync(h);
        var host = SampleDesc with { NumTensors = 1, Placement = CachePlacement.Host };
        var registered = await b.RegisterKvCacheAsync(host, [h.AllocateHostMemory(0, 512)], new RegisterCfg());
        Assert.Equal((LlmStatus.Success, 1L), (registered.Status, registered.CacheId));
    });

    [SkippableFact]
    public void CE_copies_resolve_interior_addresses_of_a_buffer() => Scenario(ConformanceProfile.CE, async h =>
    {
        // §4.5: any address inside a buffer resolves; here two tensors are halves of one 1024-byte buffer.
        var b = await InitializedAsync(h);
        var buffer = h.AllocateDeviceMemory(0, 0, 1024);
        h.Write(buffer, Pattern(1024, 3, 0));
        var halves = new Cache(-1, [buffer, buffer + 512], SampleDesc with { NumTensors = 2 });
        Assert.Equal(LlmStatus.Success, await b.CopyKvCacheAsync(halves, halves, 0, 7, 0, -1));
        var expected = Pattern(1024, 3, 0);
        Slice(expected, 0, 64).CopyTo(expected, 7 * 64);
        Slice(expected, 512, 64).CopyTo(expected, 512 + (7 * 64));
        Assert.Equal(expected, h.Read(buffer, 1024));
    });
    [SkippableFact]
    public void CE_a_linked_cluster_named_twice_is_already_link_twice_and_an_unknown_one_unlinked_twice_is_not_yet_link_twice() => Scenario(ConformanceProfile.CE, async h =>
    {
        // §6.3 step 8 and §6.4 list "already linked" / "unknown" before "earlier in the same call": the first rule wins.
        var pair = await LinkedPairAsync(h);
        var link = await pair.Decoder.LinkLlmClustersAsync([ToPrompt(), ToPrompt()], 1000);
        Assert.Equal(LlmStatus.Success, link.Status);
        Assert.Equal([LlmStatus.AlreadyLink, LlmStatus.AlreadyLink], link.Rets);
        var unlink = await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt(remoteId: 9), ToPrompt(remoteId: 9)], 1000, false);
        Assert.Equal(LlmStatus.Success, unlink.Status);
        Assert.Equal([LlmStatus.NotYetLink, LlmStatus.NotYetLink], unlink.Rets);
    });

    [SkippableFact]
    public void CE_a_prompts_server_unlink_ignores_force() => Scenario(ConformanceProfile.CE, async h =>
    {
        var (pair, src, dst, _, _) = await FilledAsync(h);
        var server = await pair.Prompt.UnlinkLlmClustersAsync([ToDecoder()], 1000, true);
        Assert.Equal(LlmStatus.Success, server.Status);
        Assert.Equal([LlmStatus.Success], server.Rets);
        Assert.Equal(LlmStatus.NotYetLink, await PushRow0Async(pair.Prompt, src, dst));
        Assert.Equal([LlmStatus.AlreadyLink], (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Rets); // the decoder was not told
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void SetRole_reads_only_the_listen_option(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var b = await InitializedAsync(h, (LlmOptionKeys.EnableSwitchRole, "1"));
        var ignored = new Dictionary<string, string>
        {
            [LlmOptionKeys.DeviceId] = "abc",
            [LlmOptionKeys.SyncKvCacheWaitTime] = "x",
            [LlmOptionKeys.EnableSwitchRole] = "2",
            [LlmOptionKeys.BufPoolCfg] = "not json",
            [LlmOptionKeys.TransferBackend] = "other",
        };
        Assert.Equal(LlmStatus.Success, await b.SetRoleAsync(LlmRole.Mix, ignored));
        Assert.Equal(LlmStatus.ParamInvalid, await b.SetRoleAsync(LlmRole.Mix, new Dictionary<string, string>(ignored) { [LlmOptionKeys.ListenIpInfo] = "nonsense" }));
    });
    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void PushKvBlocks_to_a_block_beyond_the_destination_is_invalid_and_writes_nothing(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (pair, src, dst, source, before) = await FilledAsync(h);
        var index = new CacheIndex(DecoderId, dst.CacheId, 0);
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.PushKvBlocksAsync(src, index, [0, 1], [7, 8], new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), []);
        Assert.Equal(LlmStatus.Success, await pair.Prompt.PushKvBlocksAsync(src, index, [0, 1], [7, 6], new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), Enumerable.Range(0, 4).SelectMany(t => new[] { (t, 7 * 64L, Slice(source[t], 0, 64)), (t, 6 * 64L, Slice(source[t], 64, 64)) }));
    });

    [SkippableFact]
    public void CE_Finalize_returns_the_caches_to_the_device_pool() => Scenario(ConformanceProfile.CE, async h =>
    {
        var pool = (LlmOptionKeys.BufPoolCfg, "{\"buf_pool_size\": 4096}"); // two sample caches
        var b = await InitializedAsync(h, pool);
        Assert.Equal(LlmStatus.Success, (await b.AllocateCacheAsync(SampleDesc)).Status);
        Assert.Equal(LlmStatus.Success, (await b.AllocateCacheAsync(SampleDesc)).Status);
        Assert.Equal(LlmStatus.DeviceOutOfMemory, (await b.AllocateCacheAsync(SampleDesc)).Status);
        await b.ShutdownAsync();
        Assert.Equal(LlmStatus.Success, await b.InitializeAsync(Options(0, null, pool)));
        Assert.Equal(LlmStatus.Success, (await b.AllocateCacheAsync(SampleDesc)).Status);
        Assert.Equal(LlmStatus.Success, (await b.AllocateCacheAsync(SampleDesc)).Status);
    });
    [SkippableFact]
    public void HX_does_not_enforce_512_links_per_instance() => Scenario(ConformanceProfile.HX, async h =>
    {
        // §8 / §13.3: CE rejects the 513th initiated link; HX code has no check (the simulator's documented choice).
        var decoder = h.Create(DecoderId, LlmRole.Decoder, DecoderServer);
        Assert.Equal(LlmStatus.Success, await decoder.InitializeAsync(Options()));
        var clusters = new List<ClusterInfo>();
        for (var i = 0; i < 513; i++)
        {
            var port = (ushort)(PromptPort + i);
            var prompt = h.Create((ulong)(100 + i), LlmRole.Prompt, PromptServer);
            Assert.Equal(LlmStatus.Success, await prompt.InitializeAsync(Options(0, $"{PromptIp}:{port}")));
            clusters.Add(ToPrompt(remoteId: (ulong)(100 + i), port: port));
        }

        var link = await decoder.LinkLlmClustersAsync(clusters, 1000);
        Assert.Equal(LlmStatus.Success, link.Status);
        Assert.All(link.Rets, r => Assert.Equal(LlmStatus.Success, r));
    });
    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Transfers_read_only_the_cache_fields_the_reference_lists(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        // §1.2: a pull's destination is its cache_id; a push's source is its cache_id, placement and (all layers) num_tensors.
        var (pair, src, dst, source, before) = await FilledAsync(h);
        var idOnly = new Cache { CacheId = dst.CacheId };
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 1), idOnly, 2, -1, new KvCacheExtParam()));
        Assert.Equal(LlmStatus.Success, await pair.Decoder.PullKvBlocksAsync(new CacheIndex(PromptId, src.CacheId, 0), idOnly, [3], [4], new KvCacheExtParam()));
        var pushSource = new Cache { CacheId = src.CacheId, CacheDesc = new CacheDesc { Placement = CachePlacement.Device, NumTensors = 4 } };
        Assert.Equal(LlmStatus.Success, await pair.Prompt.PushKvCacheAsync(pushSource, new CacheIndex(DecoderId, dst.CacheId, 6), 5, -1, new KvCacheExtParam()));
        AssertOnlyChanged(before, Snapshot(h, dst), Enumerable.Range(0, 4).SelectMany(t => new[]
        {
            (t, 2 * 64L, Slice(source[t], 64, 64)), (t, 4 * 64L, Slice(source[t], 3 * 64, 64)), (t, 6 * 64L, Slice(source[t], 5 * 64, 64)),
        }));
    });
    [SkippableFact]
    public void CE_a_prompts_unlink_has_the_same_structural_checks_and_cluster_limit() => Scenario(ConformanceProfile.CE, async h =>
    {
        // §6.4: role-independent structural checks (step 6) and the 16-cluster limit (step 7) apply to a server unlink too.
        var (pair, src, dst, _, _) = await FilledAsync(h);
        var noLocal = ToDecoder() with { LocalIpInfos = [] };
        var empty = await pair.Prompt.UnlinkLlmClustersAsync([noLocal], 1000, false);
        Assert.Equal((LlmStatus.ParamInvalid, 0), (empty.Status, empty.Rets.Count));
        var many = await pair.Prompt.UnlinkLlmClustersAsync([.. Enumerable.Range(0, 17).Select(i => ToDecoder() with { RemoteClusterId = (ulong)(100 + i) })], 1000, false);
        Assert.Equal((LlmStatus.ClusterNumExceedLimit, 0), (many.Status, many.Rets.Count));
        Assert.Equal(LlmStatus.Success, await PushRow0Async(pair.Prompt, src, dst)); // nothing was unlinked
    });
    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Layer_range_ends_below_minus_one_are_invalid_for_every_transfer(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        // §9.10: first ≥ −1 and second ≥ −1 on both sides, even where the range would then be ignored.
        var (pair, src, dst, _, before) = await FilledAsync(h);
        var pull = new CacheIndex(PromptId, src.CacheId, 0);
        var push = new CacheIndex(DecoderId, dst.CacheId, 0);
        foreach (var ext in new[] { Layers(-2, 0, 0, 0), Layers(-1, -1, -2, 0), Layers(-2, -2, -1, -1) })
        {
            Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvCacheAsync(pull, dst, 0, -1, ext));
            Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.PullKvBlocksAsync(pull, dst, [0], [0], ext));
            Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.PushKvCacheAsync(src, push, 0, -1, ext));
            Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.PushKvBlocksAsync(src, push, [0], [0], ext));
        }

        AssertOnlyChanged(before, Snapshot(h, dst), []);
    });
}
