// A fresh application that uses LlmDataDist only through its packages: the decoder pulls a row and two blocks
// from the prompt on the simulator, then checks every byte of the destination.
using System.Net;
using LlmDataDist;
using LlmDataDist.Simulator;
using LlmDataDist.Simulator.Backend;
using LlmDataDist.Simulator.Semantics;

const ulong PromptId = 1, DecoderId = 2;
var promptEndpoint = new IPEndPoint(IPAddress.Parse("10.0.0.1"), 26000);
// The prompt's listen endpoint doubles as the remote entry of the decoder's cluster description.
var toPrompt = new ClusterInfo { RemoteClusterId = PromptId, RemoteRoleType = LlmRole.Prompt, LocalIpInfos = [new IpInfo("10.0.0.2", 0)], RemoteIpInfos = [promptEndpoint] };
var desc = new CacheDesc(CachePlacement.Device, 2, DataType.Int32, [8, 16]); // 2 tensors, 8 rows of 64 bytes
const int RowBytes = 64, TensorBytes = 8 * RowBytes;

using var world = new SimulatedWorld(seed: 7, Topology.A2(servers: 2));
var fabric = new SimulatedFabric(world, EngineProfile.CE);
var options = new LlmDataDistClientOptions { TimeProvider = world.TimeProvider };
var failures = world.Run(async () =>
{
    await using var prompt = LlmDataDistClient.Create(fabric.Factory(server: 0), PromptId, LlmRole.Prompt, options);
    await using var decoder = LlmDataDistClient.Create(fabric.Factory(server: 1), DecoderId, LlmRole.Decoder, options);
    await prompt.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, ListenIpInfo = promptEndpoint });
    await decoder.InitializeAsync(new LlmDataDistOptions { DeviceId = 0 });
    await decoder.LinkLlmClustersAsync([toPrompt]);

    var source = await prompt.AllocateCacheAsync(desc);
    var destination = await decoder.AllocateCacheAsync(desc);
    Fill(source, 11);
    Fill(destination, 22);
    var before = Read(destination);
    await decoder.PullKvCacheAsync(new CacheIndex(PromptId, source.CacheId, 2), destination, batchIndex: 1);
    await decoder.PullKvBlocksAsync(new CacheIndex(PromptId, source.CacheId, 0), destination, [5, 6], [3, 7]);

    // Rows (source -> destination) the two pulls moved; every other destination row must be unchanged.
    var moved = new Dictionary<int, int> { [1] = 2, [3] = 5, [7] = 6 };
    var sourceBytes = Read(source);
    var after = Read(destination);
    var wrong = 0;
    for (var t = 0; t < 2; t++)
    {
        for (var row = 0; row < 8; row++)
        {
            var expected = moved.TryGetValue(row, out var from)
                ? sourceBytes[t].AsSpan(from * RowBytes, RowBytes)
                : before[t].AsSpan(row * RowBytes, RowBytes);
            wrong += expected.SequenceEqual(after[t].AsSpan(row * RowBytes, RowBytes)) ? 0 : 1;
        }
    }

    await decoder.UnlinkLlmClustersAsync([toPrompt]);
    return wrong;
});

Console.WriteLine(failures == 0 ? "bytes verified: 3 rows x 2 tensors moved, others untouched" : $"DATA MISMATCH in {failures} rows");
return failures == 0 ? 0 : 1;

void Fill(Cache cache, byte pattern)
{
    var data = new byte[TensorBytes];
    for (var t = 0; t < cache.TensorAddrs.Count; t++)
    {
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = unchecked((byte)((i * 31) + (t * 7) + (pattern * 101) + 1));
        }

        if (!world.Memory.TryResolve(cache.TensorAddrs[t], TensorBytes, out var range))
        {
            throw new InvalidOperationException("tensor memory is gone");
        }

        range.Write(data);
    }
}

byte[][] Read(Cache cache)
{
    var tensors = new byte[cache.TensorAddrs.Count][];
    for (var t = 0; t < tensors.Length; t++)
    {
        if (!world.Memory.TryResolve(cache.TensorAddrs[t], TensorBytes, out var range))
        {
            throw new InvalidOperationException("tensor memory is gone");
        }

        tensors[t] = new byte[TensorBytes];
        range.Read(tensors[t]);
    }

    return tensors;
}
