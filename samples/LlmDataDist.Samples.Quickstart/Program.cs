// Quickstart: a prompt (prefill) and a decoder (decode) instance move KV-cache blocks with the typed client.
// The backends here are EchoBackends that print each raw call; swap in the simulator or the Ascend backend and the
// client code stays the same.
using System.Diagnostics;
using System.Net;
using LlmDataDist;
using LlmDataDist.Samples.Quickstart;

const ulong PromptClusterId = 1;
const ulong DecoderClusterId = 2;

// Print one line per finished call from the client's own telemetry (the span named after the C++ operation).
using var spans = new ActivityListener
{
    ShouldListenTo = source => source.Name == LlmDataDistTelemetry.Name,
    Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
    ActivityStopped = span => Console.WriteLine($"  client: {span.OperationName} -> {span.GetTagItem(LlmDataDistTelemetry.StatusTag)}"),
};
ActivitySource.AddActivityListener(spans);

var promptBackend = new EchoBackend("prompt", PromptClusterId);
var decoderBackend = new EchoBackend("decoder", DecoderClusterId);
var prompt = new LlmDataDistClient(promptBackend);
var decoder = new LlmDataDistClient(decoderBackend);
var failures = 0;

try
{
    Step("Initialize both sides with typed options");
    await prompt.InitializeAsync(new LlmDataDistOptions
    {
        DeviceId = 0,
        // CE needs a listen endpoint on the prompt side: the decoder links to it.
        ListenIpInfo = new IPEndPoint(IPAddress.Parse("192.168.1.10"), 26000),
        SyncKvCacheWaitTime = TimeSpan.FromSeconds(2),
    });
    await decoder.InitializeAsync(new LlmDataDistOptions { DeviceId = 1, SyncKvCacheWaitTime = TimeSpan.FromSeconds(2) });

    Step("Decoder links to the prompt");
    ClusterInfo[] peers = [new(PromptClusterId, LlmRole.Prompt, [new IpInfo("192.168.1.11", 0)], [new IpInfo("192.168.1.10", 26000)])];
    var linked = await decoder.LinkLlmClustersAsync(peers, TimeSpan.FromSeconds(1));
    Console.WriteLine($"  result: {linked} (all succeeded: {linked.AllSucceeded})");

    Step("Both sides allocate a paged cache: 4 tensors (2 layers x K,V) of 16 blocks x 128 fp16 values");
    var desc = new CacheDesc(CachePlacement.Device, 4, DataType.Float16, [16, 128]);
    var promptCache = await prompt.AllocateCacheAsync(desc);
    var decoderCache = await decoder.AllocateCacheAsync(desc);
    Console.WriteLine($"  prompt cache:  {promptCache}");
    Console.WriteLine($"  decoder cache: id {decoderCache.CacheId}, {decoderCache.TensorAddrs.Count} tensors");

    Step("Decoder pulls prompt blocks 0..3 into its blocks 4..7");
    await decoder.PullKvBlocksAsync(new CacheIndex(PromptClusterId, promptCache.CacheId, 0), decoderCache, [0, 1, 2, 3], [4, 5, 6, 7]);

    Step("A malformed call is rejected by the client before it reaches the backend");
    try
    {
        await decoder.PullKvBlocksAsync(new CacheIndex(PromptClusterId, promptCache.CacheId, 0), decoderCache, [0, 1], [4]);
    }
    catch (ArgumentException ex)
    {
        Console.WriteLine($"  caught {ex.GetType().Name}: {ex.Message}");
    }

    Step("A failure status from the backend comes back as a typed exception (scripted: the link is busy)");
    decoderBackend.FailNext("PullKvBlocks", LlmStatus.LinkBusy);
    try
    {
        await decoder.PullKvBlocksAsync(new CacheIndex(PromptClusterId, promptCache.CacheId, 0), decoderCache, [8], [8]);
    }
    catch (LlmLinkBusyException ex)
    {
        Console.WriteLine($"  caught {ex.GetType().Name}: status 0x{ex.StatusCode:X8}, operation {ex.Operation}, recoverable {ex.IsRecoverable}");
        Console.WriteLine($"  message: {ex.Message}");
    }

    Step("Decoder unlinks; a pull afterwards fails with LLM_NOT_YET_LINK");
    var unlinked = await decoder.UnlinkLlmClustersAsync(peers);
    Console.WriteLine($"  result: {unlinked}");
    try
    {
        await decoder.PullKvBlocksAsync(new CacheIndex(PromptClusterId, promptCache.CacheId, 0), decoderCache, [0], [0]);
    }
    catch (LlmDataDistException ex) when (ex.Status == LlmStatus.NotYetLink)
    {
        Console.WriteLine($"  caught {ex.GetType().Name}: {ex.Message}");
    }
}
catch (Exception ex)
{
    // Anything not handled above means the sample itself is broken: say so and fail.
    Console.Error.WriteLine($"unexpected: {ex}");
    failures++;
}
finally
{
    Step("DisposeAsync finalizes and releases both instances");
    await decoder.DisposeAsync();
    await prompt.DisposeAsync();
}

return failures == 0 ? 0 : 1;

static void Step(string text) => Console.WriteLine($"\n== {text}");
