namespace LlmDataDist.Samples.Flows;

/// <summary>How a flow went: its name, and whether every byte checked on the receiving side was the one expected
/// (null where memory cannot be read from the host, so only statuses were checked).</summary>
public sealed record FlowResult(string Name, bool? Verified);

/// <summary>
/// The official prompt/decoder flows of LLM-DataDist (CE engine) through the typed client, on any backend:
/// (a) the decoder pulls a cache row and blocks, (b) the prompt pushes them, (c) the two switch roles. A failure
/// status throws; the receiving side compares every byte where it can read memory.
/// </summary>
public static class OfficialFlows
{
    /// <summary>4 tensors (2 layers x K, V) of 4 rows x 256 int32: a contiguous cache of 4 batches of 1 KiB.</summary>
    private static readonly CacheDesc Contiguous = new(CachePlacement.Device, 4, DataType.Int32, [4, 256]);

    /// <summary>4 tensors of 16 blocks x 128 fp16: a paged cache of 16 blocks of 256 bytes.</summary>
    private static readonly CacheDesc Paged = new(CachePlacement.Device, 4, DataType.Float16, [16, 128]);

    public static IReadOnlyList<FlowResult> RunAll(FlowEnvironment env, FlowSettings settings, TextWriter log) =>
        [DecoderPulls(env, settings, log), PromptPushes(env, settings, log), SwitchRoles(env, settings, log)];

    /// <summary>(a) The decoder links to the listening prompt and pulls a cache row and a list of blocks.</summary>
    public static FlowResult DecoderPulls(FlowEnvironment env, FlowSettings settings, TextWriter log) => env.Run(async () =>
    {
        var flow = new Flow(env, log, $"(a) [{env.Name}] the decoder pulls a cache and blocks from the prompt");
        await using var prompt = LlmDataDistClient.Create(env.Factory(0), FlowSettings.PromptId, LlmRole.Prompt, Options(env));
        await using var decoder = LlmDataDistClient.Create(env.Factory(1), FlowSettings.DecoderId, LlmRole.Decoder, Options(env));
        await prompt.InitializeAsync(settings.PromptOptions());
        await decoder.InitializeAsync(settings.DecoderOptions());
        flow.Step($"prompt {FlowSettings.PromptId} listens on {settings.PromptEndpoint} (device {settings.PromptDevice}); decoder {FlowSettings.DecoderId} on device {settings.DecoderDevice}");
        flow.Step($"decoder linked: {await decoder.LinkLlmClustersAsync([settings.DecoderToPrompt], TimeSpan.FromSeconds(5))}");

        var (source, destination) = (await prompt.AllocateCacheAsync(Contiguous), await decoder.AllocateCacheAsync(Contiguous));
        flow.Fill(source, 11);
        flow.Fill(destination, 22);
        await flow.MoveAsync("decoder pulls prompt batch 2 into its batch 1", source, destination, [(2, 1)],
            () => decoder.PullKvCacheAsync(new CacheIndex(FlowSettings.PromptId, source.CacheId, 2), destination, batchIndex: 1));

        var (sourceBlocks, destinationBlocks) = (await prompt.AllocateCacheAsync(Paged), await decoder.AllocateCacheAsync(Paged));
        flow.Fill(sourceBlocks, 33);
        flow.Fill(destinationBlocks, 44);
        await flow.MoveAsync("decoder pulls prompt blocks 0..3 into its blocks 4..7", sourceBlocks, destinationBlocks, [(0, 4), (1, 5), (2, 6), (3, 7)],
            () => decoder.PullKvBlocksAsync(new CacheIndex(FlowSettings.PromptId, sourceBlocks.CacheId, 0), destinationBlocks, [0, 1, 2, 3], [4, 5, 6, 7]));
        flow.Step($"decoder unlinked: {await decoder.UnlinkLlmClustersAsync([settings.DecoderToPrompt])}");
        return flow.Result();
    });

    /// <summary>(b) The decoder links to the listening prompt; the prompt pushes a cache row and a list of blocks over that link.</summary>
    public static FlowResult PromptPushes(FlowEnvironment env, FlowSettings settings, TextWriter log) => env.Run(async () =>
    {
        var flow = new Flow(env, log, $"(b) [{env.Name}] the prompt pushes a cache and blocks to the decoder");
        await using var prompt = LlmDataDistClient.Create(env.Factory(0), FlowSettings.PromptId, LlmRole.Prompt, Options(env));
        await using var decoder = LlmDataDistClient.Create(env.Factory(1), FlowSettings.DecoderId, LlmRole.Decoder, Options(env));
        await prompt.InitializeAsync(settings.PromptOptions());
        await decoder.InitializeAsync(settings.DecoderOptions());
        flow.Step($"decoder linked: {await decoder.LinkLlmClustersAsync([settings.DecoderToPrompt], TimeSpan.FromSeconds(5))}");

        var (source, destination) = (await prompt.AllocateCacheAsync(Contiguous), await decoder.AllocateCacheAsync(Contiguous));
        var (sourceBlocks, destinationBlocks) = (await prompt.AllocateCacheAsync(Paged), await decoder.AllocateCacheAsync(Paged));
        flow.Fill(source, 55);
        flow.Fill(destination, 66);
        flow.Fill(sourceBlocks, 77);
        flow.Fill(destinationBlocks, 88);
        await flow.MoveAsync("prompt pushes its batch 2 into decoder batch 1", source, destination, [(2, 1)],
            () => prompt.PushKvCacheAsync(source, new CacheIndex(FlowSettings.DecoderId, destination.CacheId, 1), srcBatchIndex: 2));
        await flow.MoveAsync("prompt pushes its blocks 0..2 into decoder blocks 5..7", sourceBlocks, destinationBlocks, [(0, 5), (1, 6), (2, 7)],
            () => prompt.PushKvBlocksAsync(sourceBlocks, new CacheIndex(FlowSettings.DecoderId, destinationBlocks.CacheId, 0), [0, 1, 2], [5, 6, 7]));
        flow.Step($"decoder unlinked: {await decoder.UnlinkLlmClustersAsync([settings.DecoderToPrompt])}");
        return flow.Result();
    });

    /// <summary>(c) With llm.EnableSwitchRole=1: instance 1 serves instance 2 as prompt; they unlink, swap roles with
    /// SetRole, and link the other way round so that 1 now pulls from 2.</summary>
    public static FlowResult SwitchRoles(FlowEnvironment env, FlowSettings settings, TextWriter log) => env.Run(async () =>
    {
        var flow = new Flow(env, log, $"(c) [{env.Name}] switch roles (unlink, SetRole on both sides, link the other way)");
        await using var first = LlmDataDistClient.Create(env.Factory(0), FlowSettings.PromptId, LlmRole.Prompt, Options(env));
        await using var second = LlmDataDistClient.Create(env.Factory(1), FlowSettings.DecoderId, LlmRole.Decoder, Options(env));
        await first.InitializeAsync(settings.PromptOptions(switchRole: true));
        await second.InitializeAsync(settings.DecoderOptions(switchRole: true));
        var (firstCache, secondCache) = (await first.AllocateCacheAsync(Paged), await second.AllocateCacheAsync(Paged));
        await second.LinkLlmClustersAsync([settings.DecoderToPrompt], TimeSpan.FromSeconds(5));
        flow.Fill(firstCache, 101);
        flow.Fill(secondCache, 102);
        await flow.MoveAsync($"decoder {FlowSettings.DecoderId} pulls blocks 0..3 of prompt {FlowSettings.PromptId} into its blocks 8..11", firstCache, secondCache, [(0, 8), (1, 9), (2, 10), (3, 11)],
            () => second.PullKvBlocksAsync(new CacheIndex(FlowSettings.PromptId, firstCache.CacheId, 0), secondCache, [0, 1, 2, 3], [8, 9, 10, 11]));

        // A role switch needs no links on either side: a non-force unlink from the decoder removes both records.
        await second.UnlinkLlmClustersAsync([settings.DecoderToPrompt]);
        await first.SetRoleAsync(LlmRole.Decoder);
        await second.SetRoleAsync(LlmRole.Prompt, new LlmDataDistOptions { ListenIpInfo = settings.DecoderEndpoint });
        flow.Step($"instance {FlowSettings.PromptId} is now a decoder, instance {FlowSettings.DecoderId} a prompt listening on {settings.DecoderEndpoint}");
        await first.LinkLlmClustersAsync([settings.PromptToDecoder], TimeSpan.FromSeconds(5));
        flow.Fill(secondCache, 103);
        await flow.MoveAsync($"decoder {FlowSettings.PromptId} pulls blocks 12..15 of prompt {FlowSettings.DecoderId} into its blocks 0..3", secondCache, firstCache, [(12, 0), (13, 1), (14, 2), (15, 3)],
            () => first.PullKvBlocksAsync(new CacheIndex(FlowSettings.DecoderId, secondCache.CacheId, 0), firstCache, [12, 13, 14, 15], [0, 1, 2, 3]));
        await first.UnlinkLlmClustersAsync([settings.PromptToDecoder]);
        return flow.Result();
    });

    private static LlmDataDistClientOptions Options(FlowEnvironment env) => new() { TimeProvider = env.TimeProvider };

    public static long TensorBytes(CacheDesc desc) => ((desc.Shape.Aggregate(1L, (a, b) => a * b) * desc.DataType.GetElementBits()) + 7) / 8;

    /// <summary>One flow's log and verdict.</summary>
    private sealed class Flow
    {
        private readonly FlowEnvironment _env;
        private readonly TextWriter _log;
        private readonly string _name;
        private bool? _verified = true;

        public Flow(FlowEnvironment env, TextWriter log, string name)
        {
            (_env, _log, _name) = (env, log, name);
            log.WriteLine(name);
        }

        public void Step(string text) => _log.WriteLine($"  {text}");

        /// <summary>Writes a pattern that differs per seed, tensor and byte into every tensor (where memory is reachable).</summary>
        public void Fill(Cache cache, byte seed)
        {
            var bytes = TensorBytes(cache.CacheDesc);
            for (var t = 0; t < cache.TensorAddrs.Count; t++)
            {
                var data = new byte[bytes];
                for (var i = 0; i < data.Length; i++)
                {
                    data[i] = unchecked((byte)((i * 31) + (t * 7) + (seed * 101) + 1));
                }

                _env.TryWrite(cache.TensorAddrs[t], data);
            }
        }

        /// <summary>Runs one transfer (a failure status throws), then compares the whole destination with what it must hold.</summary>
        public async Task MoveAsync(string what, Cache source, Cache destination, IReadOnlyList<(long From, long To)> rows, Func<ValueTask> transfer)
        {
            var sourceBytes = Read(source);
            var before = Read(destination);
            var started = _env.TimeProvider.GetTimestamp();
            await transfer();
            var took = _env.TimeProvider.GetElapsedTime(started);
            var after = Read(destination);
            if (sourceBytes is null || before is null || after is null)
            {
                _verified = null;
                Step($"{what}: succeeded in {took.TotalMicroseconds:F0} µs (device memory is not host-readable: bytes not checked)");
                return;
            }

            var rowBytes = TensorBytes(destination.CacheDesc) / destination.CacheDesc.Shape[0];
            for (var t = 0; t < before.Length; t++)
            {
                foreach (var (from, to) in rows)
                {
                    Array.Copy(sourceBytes[t], from * rowBytes, before[t], to * rowBytes, rowBytes);
                }

                var same = before[t].AsSpan().CommonPrefixLength(after[t]);
                if (same < before[t].Length)
                {
                    _verified = false;
                    Step($"{what}: DATA MISMATCH at tensor {t}, byte {same}");
                    return;
                }
            }

            Step($"{what}: succeeded in {took.TotalMicroseconds:F0} µs, data verified ({rows.Count} rows x {before.Length} tensors, every other row untouched)");
        }

        public FlowResult Result() => new(_name, _verified);

        private byte[][]? Read(Cache cache)
        {
            var bytes = TensorBytes(cache.CacheDesc);
            var tensors = new byte[cache.TensorAddrs.Count][];
            for (var t = 0; t < tensors.Length; t++)
            {
                if (_env.TryRead(cache.TensorAddrs[t], bytes) is not { } data)
                {
                    return null;
                }

                tensors[t] = data;
            }

            return tensors;
        }
    }
}
