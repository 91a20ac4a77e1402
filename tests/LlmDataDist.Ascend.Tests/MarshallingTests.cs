using LlmDataDist.Simulator;
using LlmDataDist.Simulator.Backend;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Ascend.Tests;

/// <summary>
/// Every struct and vector shape crossing the ABI — empty, large, nested, non-ASCII, over the shim's limits — seen
/// from the other side: exact bytes moved by pulls and copies whose block lists only arrive intact, out-values of the
/// right length, and statuses equal to the simulator's for the same calls (a garbled field changes the status).
/// </summary>
public sealed class MarshallingTests
{
    private const string PromptIp = "10.3.0.1";
    private const ushort PromptPort = 27600;
    private static readonly KvCacheExtParam AllLayers = new();

    /// <summary>Runs calls on a CE simulator (two servers) and on the native backend; returns both answers.</summary>
    private static (T Sim, T Native) OnBoth<T>(Func<Func<int, ILlmDataDistBackendFactory>, Func<ILlmDataDistBackend, ILlmDataDistBackend>, Task<T>> calls)
    {
        T sim;
        using (var world = new SimulatedWorld(1, Topology.A2(servers: 2)))
        {
            var fabric = new SimulatedFabric(world, EngineProfile.CE);
            var created = new List<ILlmDataDistBackend>();
            sim = world.Run(() => calls(server => fabric.Factory(server), b => Track(created, b)));
            created.ForEach(b => b.Dispose());
        }

        var native = new List<ILlmDataDistBackend>();
        try
        {
            return (sim, Task.Run(() => calls(_ => NativeTestEnvironment.Factory, b => Track(native, b))).GetAwaiter().GetResult());
        }
        finally
        {
            native.ForEach(b => b.Dispose());
        }

        static ILlmDataDistBackend Track(List<ILlmDataDistBackend> list, ILlmDataDistBackend backend)
        {
            list.Add(backend);
            return backend;
        }
    }

    private static Dictionary<string, string> Options(string? listen = null, string deviceId = "0", params (string Key, string Value)[] extra)
    {
        var options = new Dictionary<string, string> { [LlmOptionKeys.DeviceId] = deviceId };
        if (listen is not null)
        {
            options[LlmOptionKeys.ListenIpInfo] = listen;
        }

        foreach (var (key, value) in extra)
        {
            options[key] = value;
        }

        return options;
    }

    private static ClusterInfo ToPrompt(ulong id = 1, string ip = PromptIp, ushort port = PromptPort, params string[] local) =>
        new() { RemoteClusterId = id, LocalIpInfos = (local.Length == 0 ? ["10.3.0.2"] : local).Select(l => new IpInfo { Ip = l }).ToList(), RemoteIpInfos = [new IpInfo { Ip = ip, Port = port }] };

    [Fact]
    public void Option_maps_empty_large_non_ASCII_and_over_the_limits_give_the_simulators_statuses()
    {
        var many = Enumerable.Range(0, 300).Select(i => ($"x.key{i}", $"värde-{i}-ключ-鍵")).ToArray();
        Dictionary<string, string>[] maps =
        [
            [],                                                     // no llm.DeviceId: PARAM_INVALID
            Options(),                                              // one entry
            Options(extra: many),                                   // 301 entries, UTF-8 beyond ASCII
            Options(deviceId: "0\0"),                               // an embedded NUL is not a digit string
            Options(deviceId: new string('0', 5000)),               // a value past LLMDD_MAX_STRING_LEN
            Options(deviceId: "x"),
            Options(listen: $"{PromptIp}:{PromptPort}", extra: [(LlmOptionKeys.BufPoolCfg, "{\"buf_pool_size\": 4096}")]),
        ];
        var (sim, native) = OnBoth(async (factory, track) =>
        {
            var statuses = new List<LlmStatus>();
            foreach (var map in maps)
            {
                var backend = track(factory(0).Create(7, LlmRole.Decoder));
                statuses.Add(await backend.InitializeAsync(map));
                backend.Dispose();
            }

            return statuses;
        });
        // Past LLMDD_MAX_STRING_LEN the shim refuses the string itself (an ABI rule, before the engine parses "000…0");
        // everything else is the engine's answer, as the simulator gives it.
        Assert.Equal(LlmStatus.ParamInvalid, native[4]);
        Assert.Equal(sim.Where((_, i) => i != 4), native.Where((_, i) => i != 4));
        Assert.Equal([LlmStatus.ParamInvalid, LlmStatus.Success, LlmStatus.Success, LlmStatus.ParamInvalid, LlmStatus.ParamInvalid, LlmStatus.Success], native.Where((_, i) => i != 4));
    }

    [Fact]
    public void Cluster_lists_with_nested_IP_lists_give_the_simulators_statuses_and_one_ret_per_cluster()
    {
        ClusterInfo[][] calls =
        [
            [],                                                                          // no clusters
            [ToPrompt(), ToPrompt(2, port: PromptPort + 1), ToPrompt()],                  // linked, nobody listens, repeated
            Enumerable.Range(0, 16).Select(i => ToPrompt((ulong)(100 + i), port: (ushort)(PromptPort + 10 + i))).ToArray(), // 16: the limit
            Enumerable.Range(0, 17).Select(i => ToPrompt((ulong)(100 + i))).ToArray(),  // 17: over it
            [ToPrompt(local: ["10.3.0.2", "10.3.0.3"])],                                 // two local IPs for one device
            [ToPrompt(ip: "10.3.0.1\0")],                                                // an embedded NUL
            [ToPrompt(ip: "١٠.3.0.1")],                                                  // non-ASCII digits
            [new ClusterInfo { RemoteClusterId = 1, LocalIpInfos = [], RemoteIpInfos = [] }],
        ];
        var (sim, native) = OnBoth(async (factory, track) =>
        {
            var prompt = track(factory(0).Create(1, LlmRole.Prompt));
            var decoder = track(factory(1).Create(2, LlmRole.Decoder));
            Assert.Equal(LlmStatus.Success, await prompt.InitializeAsync(Options(listen: $"{PromptIp}:{PromptPort}")));
            Assert.Equal(LlmStatus.Success, await decoder.InitializeAsync(Options()));
            var results = new List<string>();
            foreach (var clusters in calls)
            {
                var link = await decoder.LinkLlmClustersAsync(clusters, 1000);
                results.Add($"{link.Status}: {string.Join(",", link.Rets)}");
            }

            var unlink = await decoder.UnlinkLlmClustersAsync([ToPrompt(), ToPrompt(3)], 1000, false);
            results.Add($"unlink {unlink.Status}: {string.Join(",", unlink.Rets)}");
            return results;
        });
        Assert.Equal(sim, native);
        Assert.Equal("LinkFailed: Success,LinkFailed,RepeatRequest", native[1]);
        Assert.Equal(16, native[2].Split(',').Length);
    }

    [Fact]
    public async Task A_pull_of_65536_blocks_in_reverse_order_lands_every_block_where_its_list_says()
    {
        using var scenario = new NativeScenario();
        var (prompt, decoder, _) = await scenario.LinkedPairAsync(20, 21, "10.3.1.1", 27610);
        const int Blocks = 1 << 16;
        var desc = new CacheDesc { NumTensors = 2, DataType = DataType.Int32, Shape = [Blocks, 1] }; // 4-byte blocks
        var src = await NativeScenario.AllocateAsync(prompt, desc);
        var dst = await NativeScenario.AllocateAsync(decoder, desc);
        NativeScenario.Fill(src, 1);
        var from = Enumerable.Range(0, Blocks).Select(b => (ulong)b).ToArray();
        var to = from.Reverse().ToList(); // a List: the marshaller's other copy path

        Assert.Equal(LlmStatus.Success, await decoder.PullKvBlocksAsync(new CacheIndex(20, src.CacheId, 0), dst, from, to, AllLayers));
        for (var t = 0; t < 2; t++)
        {
            var source = NativeScenario.Tensor(src, t).ToArray();
            var landed = NativeScenario.Tensor(dst, t).ToArray();
            for (var b = 0; b < Blocks; b++)
            {
                Assert.True(source.AsSpan(b * 4, 4).SequenceEqual(landed.AsSpan((Blocks - 1 - b) * 4, 4)), $"tensor {t}, block {b}");
            }
        }
    }

    [Fact]
    public async Task CopyKvBlocks_with_a_nested_list_of_block_lists_writes_every_list()
    {
        using var scenario = new NativeScenario();
        var backend = scenario.Create(22, LlmRole.Mix);
        Assert.Equal(LlmStatus.Success, await backend.InitializeAsync(NativeScenario.Options()));
        var desc = NativeScenario.Desc(tensors: 2, rows: 400, rowElements: 4);
        var src = await NativeScenario.AllocateAsync(backend, desc);
        var dst = await NativeScenario.AllocateAsync(backend, desc);
        NativeScenario.Fill(src, 2);
        NativeScenario.Fill(dst, 3);
        var untouched = Enumerable.Range(0, 2).Select(t => NativeScenario.Tensor(dst, t)[..(100 * 16)].ToArray()).ToArray();
        var blocks = Enumerable.Range(0, 100).Select(b => (ulong)b).ToArray();
        IReadOnlyList<ulong>[] lists = [.. Enumerable.Range(1, 3).Select(l => blocks.Select(b => b + (ulong)(100 * l)).ToArray())];

        Assert.Equal(LlmStatus.Success, await backend.CopyKvBlocksAsync(src, dst, blocks, lists));
        for (var t = 0; t < 2; t++)
        {
            for (var l = 1; l <= 3; l++)
            {
                for (var b = 0; b < 100; b++)
                {
                    Assert.Equal(NativeScenario.Row(src, t, b), NativeScenario.Row(dst, t, (100 * l) + b));
                }
            }

            Assert.Equal(untouched[t], NativeScenario.Tensor(dst, t)[..(100 * 16)].ToArray()); // rows no list names
        }
    }

    [Fact]
    public void Empty_mismatched_and_nested_block_lists_give_the_simulators_statuses()
    {
        var (sim, native) = OnBoth(async (factory, track) =>
        {
            var prompt = track(factory(0).Create(1, LlmRole.Prompt));
            var decoder = track(factory(1).Create(2, LlmRole.Decoder));
            await prompt.InitializeAsync(Options(listen: $"{PromptIp}:{PromptPort}"));
            await decoder.InitializeAsync(Options());
            await decoder.LinkLlmClustersAsync([ToPrompt()], 1000);
            var desc = NativeScenario.Desc(rows: 16);
            var src = (await prompt.AllocateCacheAsync(desc)).Cache;
            var dst = (await decoder.AllocateCacheAsync(desc)).Cache;
            var index = new CacheIndex(1, src.CacheId, 0);
            return new[]
            {
                await decoder.PullKvBlocksAsync(index, dst, [], [], AllLayers),
                await decoder.PullKvBlocksAsync(index, dst, [1, 2], [3], AllLayers),
                await decoder.PullKvBlocksAsync(index, dst, [16], [0], AllLayers),
                await prompt.PushKvBlocksAsync(src, new CacheIndex(2, dst.CacheId, 0), [], [], AllLayers),
                await prompt.PushKvBlocksAsync(src, new CacheIndex(2, dst.CacheId, 0), [0, 1], [2, 3], new KvCacheExtParam { SrcLayerRange = new(1, 1), DstLayerRange = new(0, 0) }),
                await decoder.CopyKvBlocksAsync(dst, dst, [0], []),
                await decoder.CopyKvBlocksAsync(dst, dst, [0], [[]]),
                await decoder.CopyKvBlocksAsync(dst, dst, [], [[], []]),
                await decoder.CopyKvBlocksAsync(dst, dst, [0, 1], [[2, 3], [4]]),
                await decoder.CopyKvBlocksAsync(dst, dst, [0, 1], [[2, 3], [4, 5], [6, 7]]),
            };
        });
        Assert.Equal(sim, native);
    }

    [Fact]
    public void AllocateCache_returns_one_address_per_tensor_and_device_and_the_description_given()
    {
        var desc = new CacheDesc { NumTensors = 3, DataType = DataType.Float16, Shape = [2, 8, 4] };
        var (sim, native) = OnBoth(async (factory, track) =>
        {
            var results = new List<(int Addresses, bool Aligned, CacheDesc Desc)>();
            foreach (var devices in new[] { "0", "0;1" })
            {
                var backend = track(factory(0).Create(9, LlmRole.Decoder));
                Assert.Equal(LlmStatus.Success, await backend.InitializeAsync(Options(deviceId: devices)));
                var allocated = await backend.AllocateCacheAsync(desc);
                Assert.Equal(LlmStatus.Success, allocated.Status);
                results.Add((allocated.Cache.TensorAddrs.Count, allocated.Cache.TensorAddrs.All(a => a % 512 == 0), allocated.Cache.CacheDesc));
                backend.Dispose();
            }

            return results;
        });
        Assert.Equal(sim, native);
        Assert.Equal([(3, true, desc), (6, true, desc)], native);
    }
}
