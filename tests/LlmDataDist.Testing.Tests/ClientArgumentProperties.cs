using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LlmDataDist.Simulator.Semantics;
using LlmDataDist.Testing.Tests.Support;

namespace LlmDataDist.Testing.Tests;

/// <summary>
/// Issue 4 part 4, where tests/LlmDataDist.Tests has examples but no property (IP text, timeouts, cluster counts, copy
/// destination lists, nulls, cache descriptors) or does not reach a real backend (blocks and layers past the cache):
/// random invalid arguments from the kit's generators, through the typed client over the simulator. An argument the
/// client rejects throws the documented <see cref="ArgumentException"/> and reaches no backend (the kit's call log shows
/// only the set-up calls); one that only the engine can judge reaches it and comes back as the reference's status with
/// nothing changed. The expected outcome comes from the generators' labels (how each case was built), not from the
/// client's code.
/// </summary>
public sealed class ClientArgumentProperties
{
    private static readonly CacheDesc Desc = new(CachePlacement.Device, 4, DataType.Int32, [8, 16]);

    private static readonly SimulationSettings Settings = SimulationSettings.Default.WithEnvironment(SimulationEnvironment.None);

    private static Arbitrary<EngineProfile> Profiles => Gen.Elements(EngineProfile.CE, EngineProfile.HX).ToArbitrary();

    [Property(MaxTest = 150)]
    public Property Ip_text_in_link_and_unlink_reaches_the_backend_iff_it_is_dotted_ipv4() =>
        Prop.ForAll(LlmArbitraries.IpTexts(), Profiles, Gen.Choose(0, 7).ToArbitrary(), (ip, profile, shape) =>
        {
            var (link, remote, clusters) = ((shape & 1) == 1, (shape & 2) == 2, 1 + (shape >> 2));
            Run(profile, async sim =>
            {
                var decoder = sim.CreateClient(2, LlmRole.Decoder, server: 1);
                await decoder.InitializeAsync(new LlmDataDistOptions { DeviceId = 0 });
                // The IP goes into the last cluster; the others are well formed.
                var list = Enumerable.Range(0, clusters).Select(i => SimulationContext.LinkTarget(2, 10 + (ulong)i)).ToList();
                list[^1] = remote
                    ? list[^1] with { RemoteIpInfos = [new IpInfo(ip.Text, SimulationContext.ListenPort)] }
                    : list[^1] with { LocalIpInfos = [new IpInfo(ip.Text, 0)] };
                var error = await Outcome(() => link
                    ? Discard(decoder.LinkLlmClustersAsync(list, TimeSpan.FromMilliseconds(10)))
                    : Discard(decoder.UnlinkLlmClustersAsync(list, TimeSpan.FromMilliseconds(10), forceFlag: true)));

                var method = link ? "LinkLlmClusters" : "UnlinkLlmClusters";
                if (ip.Valid)
                {
                    Assert.True(error is null or LlmDataDistException, $"'{ip.Text}' is dotted IPv4 but the client threw {error}");
                    Assert.Equal(["Initialize", method], sim.BackendCalls(2));
                }
                else
                {
                    var argument = Assert.IsType<ArgumentException>(error);
                    Assert.Equal("clusters", argument.ParamName);
                    Assert.Contains($"'{ip.Text}'", argument.Message, StringComparison.Ordinal);
                    Assert.Equal(["Initialize"], sim.BackendCalls(2));
                }
            });
        });

    [Property(MaxTest = 150)]
    public Property Link_and_unlink_timeouts_are_rejected_iff_not_positive_or_over_int32_milliseconds() =>
        Prop.ForAll(Timeouts, Profiles, (timeout, profile) => Run(profile, async sim =>
        {
            var decoder = sim.CreateClient(2, LlmRole.Decoder, server: 1);
            await decoder.InitializeAsync(new LlmDataDistOptions { DeviceId = 0 });
            var error = await Outcome(() => Discard(decoder.UnlinkLlmClustersAsync([SimulationContext.LinkTarget(2, 1)], timeout, forceFlag: true)));

            // Reference §6.3: timeout_in_millis > 0 and an int32; the SDK rounds a partial millisecond up.
            var milliseconds = Math.Ceiling((decimal)timeout.Ticks / TimeSpan.TicksPerMillisecond);
            var invalid = timeout.Ticks <= 0 || milliseconds > int.MaxValue;
            if (invalid)
            {
                Assert.Equal("timeout", Assert.IsType<ArgumentOutOfRangeException>(error).ParamName);
                Assert.Equal(["Initialize"], sim.BackendCalls(2));
            }
            else
            {
                Assert.Null(error);
                Assert.Equal(["Initialize", "UnlinkLlmClusters"], sim.BackendCalls(2));
            }
        }));

    [Property(MaxTest = 60)]
    public Property More_than_16_clusters_is_the_CE_engines_limit_not_the_clients() =>
        Prop.ForAll(Gen.Choose(1, 40).ToArbitrary(), Profiles, (count, profile) => Run(profile, async sim =>
        {
            var decoder = sim.CreateClient(2, LlmRole.Decoder, server: 1);
            await decoder.InitializeAsync(new LlmDataDistOptions { DeviceId = 0 });
            var clusters = Enumerable.Range(0, count).Select(i => SimulationContext.LinkTarget(2, 100 + (ulong)i)).ToList();
            var error = await Outcome(() => Discard(decoder.UnlinkLlmClustersAsync(clusters, forceFlag: true)));

            // Reference §8: CE refuses more than 16 clusters per call with CLUSTER_NUM_EXCEED_LIMIT and empty rets; HX has
            // no limit. Either way the client passes the call on.
            Assert.Equal(["Initialize", "UnlinkLlmClusters"], sim.BackendCalls(2));
            if (profile == EngineProfile.CE && count > 16)
            {
                var limit = Assert.IsType<LlmClusterNumExceedLimitException>(error);
                Assert.Empty(limit.Clusters!);
            }
            else
            {
                Assert.Null(error);
            }
        }));

    [Property(MaxTest = 100)]
    public Property Invalid_cache_descriptors_allocate_nothing_and_consume_an_id_only_after_the_placement_check() =>
        Prop.ForAll(LlmArbitraries.InvalidCacheDescs(), invalid => Run(EngineProfile.CE, async sim =>
        {
            var prompt = sim.CreateClient(1, LlmRole.Prompt);
            await prompt.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, ListenIpInfo = SimulationContext.ListenEndpoint(1) });
            var device = sim.World.Memory.Device(0);
            var used = device.UsedBytes;

            var error = await Outcome(() => Discard(prompt.AllocateCacheAsync(invalid.Desc)));

            // Reference §9.8: every defect is PARAM_INVALID from the engine (the client leaves shapes and types to it);
            // steps 2-3 (no tensors, not device) consume no cache id, later steps do.
            Assert.IsType<LlmParamInvalidException>(error);
            Assert.Equal(used, device.UsedBytes);
            var next = await prompt.AllocateCacheAsync(Desc);
            Assert.Equal(invalid.Defect is CacheDescDefect.ZeroTensors or CacheDescDefect.HostPlacement ? 1 : 2, next.CacheId);
        }));

    [Property(MaxTest = 100)]
    public Property Register_rejects_descriptors_without_tensors_or_with_rank_outside_1_to_31_before_the_backend() =>
        Prop.ForAll(LlmArbitraries.InvalidCacheDescs(), invalid => Run(EngineProfile.HX, async sim =>
        {
            var decoder = sim.CreateClient(2, LlmRole.Decoder, server: 1);
            await decoder.InitializeAsync(new LlmDataDistOptions { DeviceId = 0 });
            var addresses = Enumerable.Range(0, (int)invalid.Desc.NumTensors).Select(i => 0x1000UL + (ulong)i).ToArray();

            var error = await Outcome(() => Discard(decoder.RegisterKvCacheAsync(invalid.Desc, addresses, new RegisterCfg())));

            var clientRule = invalid.Defect is CacheDescDefect.ZeroTensors or CacheDescDefect.EmptyShape or CacheDescDefect.RankTooLarge;
            if (clientRule)
            {
                Assert.Equal(invalid.Defect == CacheDescDefect.ZeroTensors ? "addrs" : "cacheDesc", Assert.IsType<ArgumentException>(error).ParamName);
                Assert.Equal(["Initialize"], sim.BackendCalls(2));
            }
            else
            {
                Assert.IsNotType<ArgumentException>(error);
                Assert.Equal(["Initialize", "RegisterKvCache"], sim.BackendCalls(2));
            }
        }));

    [Property(MaxTest = 100)]
    public Property Copy_destination_lists_are_rejected_iff_one_differs_in_length_from_the_source() =>
        Prop.ForAll(LlmArbitraries.BlockPairs(8, 8), Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 5), n)).ToArbitrary(), (pairs, extraLengths) =>
            Run(EngineProfile.CE, async sim =>
            {
                var prompt = sim.CreateClient(1, LlmRole.Prompt);
                await prompt.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, ListenIpInfo = SimulationContext.ListenEndpoint(1) });
                var (src, dst) = (await prompt.AllocateCacheAsync(Desc), await prompt.AllocateCacheAsync(Desc));
                sim.Fill(dst, 9);
                var before = sim.Read(dst);
                IReadOnlyList<IReadOnlyList<ulong>> lists = [pairs.Destination, .. extraLengths.Select(n => Enumerable.Range(0, n).Select(i => (ulong)i).ToArray())];

                var error = await Outcome(() => prompt.CopyKvBlocksAsync(src, dst, pairs.Source, lists));

                if (extraLengths.Any(n => n != pairs.Source.Count))
                {
                    Assert.Equal("dstBlocksList", Assert.IsType<ArgumentException>(error).ParamName);
                    Assert.DoesNotContain("CopyKvBlocks", sim.BackendCalls(1));
                    Assert.Null(CacheBytes.FirstDifference(before, sim.Read(dst))); // nothing was copied, not even list 0
                }
                else
                {
                    Assert.Null(error);
                    Assert.Contains("CopyKvBlocks", sim.BackendCalls(1));
                }
            }));

    [Property(MaxTest = 100)]
    public Property Invalid_block_lists_are_rejected_by_the_client_or_by_the_engine_and_change_nothing() =>
        Prop.ForAll(LlmArbitraries.InvalidBlockPairs(8, 8), Profiles, Gen.Elements(false, true).ToArbitrary(), (invalid, profile, push) => Run(profile, async sim =>
        {
            var pair = await LinkedPair.CreateAsync(sim, Desc);
            var (src, dst) = (pair.PromptCache, pair.DecoderCache);
            sim.Fill(src, 1);
            sim.Fill(dst, 2);
            var before = sim.Read(dst);
            var calls = sim.BackendCalls(push ? LinkedPair.PromptId : LinkedPair.DecoderId).Count;

            var error = await Outcome(() => push
                ? pair.Prompt.PushKvBlocksAsync(src, new CacheIndex(LinkedPair.DecoderId, dst.CacheId, 0), invalid.Blocks.Source, invalid.Blocks.Destination)
                : pair.Decoder.PullKvBlocksAsync(new CacheIndex(LinkedPair.PromptId, src.CacheId, 0), dst, invalid.Blocks.Source, invalid.Blocks.Destination));

            var reached = sim.BackendCalls(push ? LinkedPair.PromptId : LinkedPair.DecoderId).Count - calls;
            if (invalid.RejectedByClient)
            {
                Assert.IsType<ArgumentException>(error);
                Assert.Equal(0, reached);
            }
            else
            {
                // Reference §9.12 steps 8 and 12, §9.16: a block past its cache's rows is PARAM_INVALID.
                Assert.IsType<LlmParamInvalidException>(error);
                Assert.Equal(1, reached);
            }

            Assert.Null(CacheBytes.FirstDifference(before, sim.Read(dst)));
        }));

    [Property(MaxTest = 100)]
    public Property Layer_selections_past_the_last_layer_are_the_engines_param_invalid_and_change_nothing() =>
        Prop.ForAll(LlmArbitraries.InvalidLayerSelections(Desc.NumTensors), Profiles, (invalid, profile) => Run(profile, async sim =>
        {
            var pair = await LinkedPair.CreateAsync(sim, Desc);
            var (src, dst) = (pair.PromptCache, pair.DecoderCache);
            sim.Fill(src, 1);
            sim.Fill(dst, 2);
            var before = sim.Read(dst);
            var caller = invalid.Push ? LinkedPair.PromptId : LinkedPair.DecoderId;
            var calls = sim.BackendCalls(caller).Count;

            var error = await Outcome(() => invalid.Push
                ? pair.Prompt.PushKvCacheAsync(src, new CacheIndex(LinkedPair.DecoderId, dst.CacheId, 3), 1, extParam: invalid.ExtParam)
                : pair.Decoder.PullKvCacheAsync(new CacheIndex(LinkedPair.PromptId, src.CacheId, 1), dst, 3, extParam: invalid.ExtParam));

            var reached = sim.BackendCalls(caller).Count - calls;
            if (invalid.RejectedByClient)
            {
                Assert.Equal("extParam", Assert.IsType<ArgumentException>(error).ParamName);
                Assert.Equal(0, reached);
            }
            else
            {
                Assert.IsType<LlmParamInvalidException>(error);
                Assert.Equal(1, reached);
            }

            if (!invalid.Push || invalid.RejectedByClient)
            {
                Assert.Null(CacheBytes.FirstDifference(before, sim.Read(dst)));
                return;
            }

            // A push checks layers one at a time and keeps the layers already written (reference §9.15, §12.6): each
            // in-range tensor pair's row is untouched or fully written, and nothing else changes.
            var pairs = CacheBytes.TensorPairs(invalid.ExtParam, Desc.NumTensors, push: true).Where(p => p.From < Desc.NumTensors && p.To < Desc.NumTensors).ToList();
            Faults.SafetyChecker.Bytes("push past the last layer", succeeded: false, push: true, sim.Read(src), before, sim.Read(dst), LlmArbitraries.RowBytes(Desc), [(1, 3)], pairs);
        }));

    [Property(MaxTest = 60)]
    public Property Null_arguments_throw_ArgumentNullException_and_reach_no_backend() =>
        Prop.ForAll(Gen.Elements(NullCases.Keys.ToArray()).ToArbitrary(), name => Run(EngineProfile.CE, async sim =>
        {
            var client = sim.CreateClient(2, LlmRole.Decoder, server: 1);
            var error = await Outcome(() => NullCases[name](client));

            Assert.IsType<ArgumentNullException>(error);
            Assert.Empty(sim.BackendCalls(2));
        }));

    private static readonly Cache SomeCache = new(1, [0x1000, 0x2000], new CacheDesc(CachePlacement.Device, 2, DataType.Int8, [4]));

    private static readonly Dictionary<string, Func<LlmDataDistClient, ValueTask>> NullCases = new(StringComparer.Ordinal)
    {
        ["Initialize options"] = c => c.InitializeAsync(null!),
        ["Link clusters"] = c => Discard(c.LinkLlmClustersAsync(null!)),
        ["Unlink clusters"] = c => Discard(c.UnlinkLlmClustersAsync(null!)),
        ["AllocateCache desc"] = c => Discard(c.AllocateCacheAsync(null!)),
        ["PullKvCache index"] = c => c.PullKvCacheAsync(null!, SomeCache),
        ["PullKvCache cache"] = c => c.PullKvCacheAsync(new CacheIndex(1, 1, 0), null!),
        ["PullKvBlocks src"] = c => c.PullKvBlocksAsync(new CacheIndex(1, 1, 0), SomeCache, null!, [1]),
        ["PullKvBlocks dst"] = c => c.PullKvBlocksAsync(new CacheIndex(1, 1, 0), SomeCache, [1], null!),
        ["CopyKvCache src"] = c => c.CopyKvCacheAsync(null!, SomeCache),
        ["CopyKvCache dst"] = c => c.CopyKvCacheAsync(SomeCache, null!),
        ["CopyKvBlocks lists"] = c => c.CopyKvBlocksAsync(SomeCache, SomeCache, [1], null!),
        ["PushKvCache src"] = c => c.PushKvCacheAsync(null!, new CacheIndex(1, 1, 0)),
        ["PushKvCache index"] = c => c.PushKvCacheAsync(SomeCache, null!),
        ["PushKvBlocks dst"] = c => c.PushKvBlocksAsync(SomeCache, new CacheIndex(1, 1, 0), [1], null!),
        ["RegisterKvCache desc"] = c => Discard(c.RegisterKvCacheAsync(null!, [0x1000], new RegisterCfg())),
        ["RegisterKvCache addrs"] = c => Discard(c.RegisterKvCacheAsync(SomeCache.CacheDesc, null!, new RegisterCfg())),
        ["RegisterKvCache cfg"] = c => Discard(c.RegisterKvCacheAsync(SomeCache.CacheDesc, [0x1000, 0x2000], null!)),
    };

    /// <summary>Timeouts around both boundaries (0 and int.MaxValue ms), sub-millisecond ones and extremes.</summary>
    private static Arbitrary<TimeSpan> Timeouts
    {
        get
        {
            var limit = int.MaxValue * TimeSpan.TicksPerMillisecond;
            var ticks = Gen.Frequency(
                (3, Gen.Choose(-20_000, 20_000).Select(t => (long)t)),
                (3, Gen.Choose(-20_000, 20_000).Select(t => limit + t)),
                (1, Gen.Elements(long.MinValue, long.MaxValue, 1L, TimeSpan.TicksPerMillisecond, TimeSpan.TicksPerSecond)));
            return ticks.Select(TimeSpan.FromTicks).ToArbitrary();
        }
    }

    private static void Run(EngineProfile profile, Func<SimulationContext, Task> scenario) =>
        SimulationRunner.Run(1, profile, scenario, Settings);

    private static async Task<Exception?> Outcome(Func<ValueTask> call)
    {
        try
        {
            await call();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    private static async ValueTask Discard<T>(ValueTask<T> call) => await call;
}
