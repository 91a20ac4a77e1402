using System.Net;

namespace LlmDataDist.Conformance;

// The prompt/decoder flows through the typed client over the harness's backends: the statuses of the reference
// surface as typed exceptions, per-cluster results come back as ClusterResults, and DisposeAsync finalizes.
public abstract partial class ConformanceSuite
{
    private sealed record Clients(LlmDataDistClient Prompt, LlmDataDistClient Decoder);

    private static LlmDataDistClient Client(IConformanceHarness h, ulong id, LlmRole role, int server) =>
        new(h.Create(id, role, server), new LlmDataDistClientOptions { TimeProvider = h.TimeProvider });

    private static async Task<Clients> ClientsAsync(IConformanceHarness h, TimeSpan? syncWait = null, bool? switchRole = null)
    {
        var prompt = Client(h, PromptId, LlmRole.Prompt, PromptServer);
        var decoder = Client(h, DecoderId, LlmRole.Decoder, DecoderServer);
        await prompt.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, ListenIpInfo = IPEndPoint.Parse(PromptListen), SyncKvCacheWaitTime = syncWait, EnableSwitchRole = switchRole });
        await decoder.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, SyncKvCacheWaitTime = syncWait, EnableSwitchRole = switchRole });
        return new Clients(prompt, decoder);
    }

    /// <summary>A cache through the client: allocated on CE, device memory registered on HX.</summary>
    private static async Task<Cache> ClientCacheAsync(IConformanceHarness h, LlmDataDistClient client, int server, CacheDesc? desc = null)
    {
        desc ??= SampleDesc;
        if (h.Profile == ConformanceProfile.CE)
        {
            return await client.AllocateCacheAsync(desc);
        }

        var addresses = Enumerable.Range(0, (int)desc.NumTensors).Select(_ => h.AllocateDeviceMemory(server, 0, TensorBytes(desc))).ToArray();
        var id = await client.RegisterKvCacheAsync(desc, addresses, new RegisterCfg());
        return new Cache(id, addresses, desc);
    }

    private static async Task<T> ThrowsAsync<T>(LlmStatus status, string operation, Func<Task> call)
        where T : LlmDataDistException
    {
        var e = await Assert.ThrowsAsync<T>(call);
        Assert.Equal((status, (uint)status, operation), (e.Status, e.StatusCode, e.Operation));
        return e;
    }

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Client_prompt_decoder_flow_moves_bytes_and_throws_typed_exceptions(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (prompt, decoder) = await ClientsAsync(h);
        var src = await ClientCacheAsync(h, prompt, PromptServer);
        var dst = await ClientCacheAsync(h, decoder, DecoderServer);
        Fill(h, src, 1);
        Fill(h, dst, 2);
        var source = Snapshot(h, src);
        var before = Snapshot(h, dst);

        await ThrowsAsync<LlmNotYetLinkException>(LlmStatus.NotYetLink, "PullKvCache", () => decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst).AsTask());
        var linked = await decoder.LinkLlmClustersAsync([ToPrompt()]);
        Assert.True(linked.AllSucceeded);
        Assert.Equal([new ClusterResult(PromptId, LlmStatus.Success)], linked);

        await decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 5), dst, batchIndex: 2);
        await decoder.PullKvBlocksAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, [1, 3], [6, 7]);
        await prompt.PushKvCacheAsync(src, new CacheIndex(DecoderId, dst.CacheId, 0), srcBatchIndex: 4, extParam: Layers(1, 1, 1, 1));
        AssertOnlyChanged(before, Snapshot(h, dst), Enumerable.Range(0, 4).SelectMany(t => new[]
        {
            (t, 2 * 64L, Slice(source[t], 5 * 64, 64)), (t, 6 * 64L, Slice(source[t], 64, 64)), (t, 7 * 64L, Slice(source[t], 3 * 64, 64)),
        }).Concat([(2, 0L, Slice(source[2], 4 * 64, 64)), (3, 0L, Slice(source[3], 4 * 64, 64))]));

        var missing = await ThrowsAsync<LlmKvCacheNotExistException>(LlmStatus.KvCacheNotExist, "PullKvCache", () => decoder.PullKvCacheAsync(new CacheIndex(PromptId, 99, 0), dst).AsTask());
        Assert.True(missing.IsRecoverable);
        await ThrowsAsync<LlmParamInvalidException>(LlmStatus.ParamInvalid, "PullKvCache", () => decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst, batchIndex: 8).AsTask());

        // Linking again: CE answers SUCCESS with ALREADY_LINK for the cluster; HX makes it the overall status.
        if (profile == ConformanceProfile.CE)
        {
            var again = await decoder.LinkLlmClustersAsync([ToPrompt()]);
            Assert.Equal(LlmStatus.Success, again.Status);
            Assert.False(again.AllSucceeded);
            Assert.Equal([new ClusterResult(PromptId, LlmStatus.AlreadyLink)], again.Failures);
        }
        else
        {
            var again = await ThrowsAsync<LlmAlreadyLinkException>(LlmStatus.AlreadyLink, "LinkLlmClusters", () => decoder.LinkLlmClustersAsync([ToPrompt()]).AsTask());
            Assert.Equal([new ClusterResult(PromptId, LlmStatus.AlreadyLink)], again.Clusters!);
        }

        var failed = await ThrowsAsync<LlmLinkFailedException>(LlmStatus.LinkFailed, "LinkLlmClusters", () => decoder.LinkLlmClustersAsync([ToPrompt(remoteId: 9, port: 1), ToPrompt(remoteId: 3, port: 2)]).AsTask());
        Assert.Equal([new ClusterResult(9, LlmStatus.LinkFailed), new ClusterResult(3, LlmStatus.LinkFailed)], failed.Clusters!);

        Assert.True((await decoder.UnlinkLlmClustersAsync([ToPrompt()])).AllSucceeded);
        await ThrowsAsync<LlmNotYetLinkException>(LlmStatus.NotYetLink, "PushKvCache", () => prompt.PushKvCacheAsync(src, new CacheIndex(DecoderId, dst.CacheId, 0)).AsTask());
        await prompt.DisposeAsync();
        await decoder.DisposeAsync();
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Client_transfer_timeouts_are_wait_proc_timeout_on_CE_and_timeout_on_HX(ConformanceProfile profile) => Scenario(profile, ConformanceCapabilities.ModelledTiming, async h =>
    {
        var (prompt, decoder) = await ClientsAsync(h, syncWait: TimeSpan.FromMilliseconds(1));
        var src = await ClientCacheAsync(h, prompt, PromptServer, BigDesc);
        var dst = await ClientCacheAsync(h, decoder, DecoderServer, BigDesc);
        await decoder.LinkLlmClustersAsync([ToPrompt()]);
        Func<Task> pull = () => decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst).AsTask();
        if (profile == ConformanceProfile.CE)
        {
            var e = await ThrowsAsync<LlmWaitProcTimeoutException>(LlmStatus.WaitProcTimeout, "PullKvCache", pull);
            Assert.True(e.IsRecoverable);
        }
        else
        {
            var e = await ThrowsAsync<LlmTimeoutException>(LlmStatus.Timeout, "PullKvCache", pull);
            Assert.False(e.IsRecoverable);
        }

        // The documented recovery through the client: force-unlink, link again.
        await decoder.UnlinkLlmClustersAsync([ToPrompt()], forceFlag: true);
        Assert.True((await decoder.LinkLlmClustersAsync([ToPrompt()])).AllSucceeded);
        var small = await ClientCacheAsync(h, prompt, PromptServer);
        var smallDst = await ClientCacheAsync(h, decoder, DecoderServer);
        await decoder.PullKvCacheAsync(new CacheIndex(PromptId, small.CacheId, 0), smallDst);
    });

    [SkippableTheory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Client_DisposeAsync_finalizes_the_instance(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var (prompt, decoder) = await ClientsAsync(h);
        var src = await ClientCacheAsync(h, prompt, PromptServer);
        var dst = await ClientCacheAsync(h, decoder, DecoderServer);
        await decoder.LinkLlmClustersAsync([ToPrompt()]);
        await decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst);
        await prompt.DisposeAsync();
        await prompt.DisposeAsync(); // again: nothing
        await Assert.ThrowsAsync<ObjectDisposedException>(() => prompt.PullKvCacheAsync(new CacheIndex(DecoderId, dst.CacheId, 0), src).AsTask());
        // The prompt finalized without telling the decoder: its link is half-open, and nobody listens any more.
        var timeout = TimeoutOf(h);
        var e = await Assert.ThrowsAnyAsync<LlmDataDistException>(() => decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst).AsTask());
        Assert.Equal(timeout, e.Status);
        await decoder.UnlinkLlmClustersAsync([ToPrompt()], forceFlag: true);
        var refused = await ThrowsAsync<LlmLinkFailedException>(LlmStatus.LinkFailed, "LinkLlmClusters", () => decoder.LinkLlmClustersAsync([ToPrompt()]).AsTask());
        Assert.Equal(LlmStatus.LinkFailed, refused.Clusters![0].Status);
        // A new instance can take over the listen endpoint the disposed one released.
        var successor = Client(h, PromptId, LlmRole.Prompt, PromptServer);
        await successor.InitializeAsync(new LlmDataDistOptions { DeviceId = 1, ListenIpInfo = IPEndPoint.Parse(PromptListen) });
        Assert.True((await decoder.LinkLlmClustersAsync([ToPrompt()])).AllSucceeded);
        await decoder.DisposeAsync();
        await successor.DisposeAsync();
    });

    [SkippableFact]
    public void CE_client_surfaces_every_CE_only_status_as_its_exception() => Scenario(ConformanceProfile.CE, ConformanceCapabilities.ModelledTiming, async h =>
    {
        var (prompt, decoder) = await ClientsAsync(h, switchRole: true);
        var other = Client(h, 3, LlmRole.Prompt, PromptServer);
        await other.InitializeAsync(new LlmDataDistOptions { DeviceId = 1, ListenIpInfo = IPEndPoint.Parse($"{PromptIp}:{PromptPort + 1}") });

        // PROCESSING_LINK: a second link while the first is still running.
        var first = decoder.LinkLlmClustersAsync([ToPrompt()]).AsTask();
        await ThrowsAsync<LlmProcessingLinkException>(LlmStatus.ProcessingLink, "LinkLlmClusters", () => decoder.LinkLlmClustersAsync([ToPrompt(remoteId: 3, port: PromptPort + 1)]).AsTask());
        Assert.True((await first).AllSucceeded);

        // REPEAT_REQUEST and ALREADY_LINK under overall success.
        var repeated = await decoder.LinkLlmClustersAsync([ToPrompt(remoteId: 3, port: PromptPort + 1), ToPrompt(remoteId: 3, port: PromptPort + 1), ToPrompt()]);
        Assert.Equal(LlmStatus.Success, repeated.Status);
        Assert.Equal([LlmStatus.Success, LlmStatus.RepeatRequest, LlmStatus.AlreadyLink], repeated.Select(r => r.Status));

        // CLUSTER_NUM_EXCEED_LIMIT, EXIST_LINK, PARAM_INVALID for the role, FEATURE_NOT_ENABLED for Register.
        var many = Enumerable.Range(0, 17).Select(i => ToPrompt(remoteId: (ulong)(100 + i))).ToList();
        await ThrowsAsync<LlmClusterNumExceedLimitException>(LlmStatus.ClusterNumExceedLimit, "LinkLlmClusters", () => decoder.LinkLlmClustersAsync(many).AsTask());
        await ThrowsAsync<LlmExistLinkException>(LlmStatus.ExistLink, "SetRole", () => decoder.SetRoleAsync(LlmRole.Mix).AsTask());
        await ThrowsAsync<LlmParamInvalidException>(LlmStatus.ParamInvalid, "LinkLlmClusters", () => prompt.LinkLlmClustersAsync([ToDecoder()]).AsTask());
        await ThrowsAsync<LlmFeatureNotEnabledException>(LlmStatus.FeatureNotEnabled, "RegisterKvCache", () => decoder.RegisterKvCacheAsync(SampleDesc, [h.AllocateDeviceMemory(1, 0, 512), 2, 3, 4], new RegisterCfg()).AsTask());

        // LINK_BUSY per cluster, then NOTIFY_PROMPT_UNLINK_FAILED per cluster, both under UNLINK_FAILED.
        var src = await prompt.AllocateCacheAsync(SampleDesc);
        var dst = await decoder.AllocateCacheAsync(SampleDesc);
        var pull = decoder.PullKvCacheAsync(new CacheIndex(PromptId, src.CacheId, 0), dst).AsTask();
        var busy = await ThrowsAsync<LlmUnlinkFailedException>(LlmStatus.UnlinkFailed, "UnlinkLlmClusters", () => decoder.UnlinkLlmClustersAsync([ToPrompt()]).AsTask());
        Assert.Equal([new ClusterResult(PromptId, LlmStatus.LinkBusy)], busy.Clusters!);
        await pull;
        await other.ShutdownAsync();
        var notify = await ThrowsAsync<LlmUnlinkFailedException>(LlmStatus.UnlinkFailed, "UnlinkLlmClusters", () => decoder.UnlinkLlmClustersAsync([ToPrompt(remoteId: 3, port: PromptPort + 1)]).AsTask());
        Assert.Equal([new ClusterResult(3, LlmStatus.NotifyPromptUnlinkFailed)], notify.Clusters!);

        // DEVICE_OUT_OF_MEMORY and KV_CACHE_NOT_EXIST from the cache calls.
        var pooled = Client(h, 5, LlmRole.Mix, DecoderServer);
        await pooled.InitializeAsync(new LlmDataDistOptions { DeviceId = 2, BufPoolCfg = "{\"buf_pool_size\": 2048}" });
        await pooled.AllocateCacheAsync(SampleDesc);
        await ThrowsAsync<LlmDeviceOutOfMemoryException>(LlmStatus.DeviceOutOfMemory, "AllocateCache", () => pooled.AllocateCacheAsync(SampleDesc).AsTask());
        await ThrowsAsync<LlmKvCacheNotExistException>(LlmStatus.KvCacheNotExist, "DeallocateCache", () => pooled.DeallocateCacheAsync(42).AsTask());
    });

    [SkippableFact]
    public void HX_client_surfaces_HX_statuses_and_lacks_allocation() => Scenario(ConformanceProfile.HX, async h =>
    {
        var (prompt, decoder) = await ClientsAsync(h);
        await ThrowsAsync<LlmFeatureNotEnabledException>(LlmStatus.FeatureNotEnabled, "AllocateCache", () => decoder.AllocateCacheAsync(SampleDesc).AsTask());
        await ThrowsAsync<LlmTimeoutException>(LlmStatus.Timeout, "LinkLlmClusters", () => decoder.LinkLlmClustersAsync([ToPrompt()], TimeSpan.FromMilliseconds(1)).AsTask());
        Assert.True((await decoder.LinkLlmClustersAsync([ToPrompt()])).AllSucceeded);
        var unlinkFailed = await ThrowsAsync<LlmUnlinkFailedException>(LlmStatus.UnlinkFailed, "UnlinkLlmClusters", () => prompt.UnlinkLlmClustersAsync([ToDecoder()]).AsTask());
        Assert.Equal([new ClusterResult(DecoderId, LlmStatus.UnlinkFailed)], unlinkFailed.Clusters!);
        await ThrowsAsync<LlmExistLinkException>(LlmStatus.ExistLink, "SetRole", () => prompt.SetRoleAsync(LlmRole.Decoder).AsTask());
        Assert.True((await prompt.UnlinkLlmClustersAsync([ToDecoder()], forceFlag: true)).AllSucceeded);
        await prompt.SetRoleAsync(LlmRole.Decoder); // HX needs no EnableSwitchRole
    });
}
