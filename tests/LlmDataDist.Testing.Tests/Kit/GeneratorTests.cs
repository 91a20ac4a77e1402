using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LlmDataDist.Simulator;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Testing.Tests.Kit;

/// <summary>The generators make what they promise, their shrinkers keep a value in its class, and valid values work
/// against the simulator (a valid descriptor allocates; a valid layer selection moves exactly its tensors).</summary>
public sealed class GeneratorTests
{
    private static readonly SimulationSettings Settings = SimulationSettings.Default.WithEnvironment(SimulationEnvironment.None);

    [Property(MaxTest = 60)]
    public Property Valid_cache_descriptors_allocate_on_CE_and_shrink_to_valid_ones() =>
        SimulationProperty.ForAll(LlmArbitraries.CacheDescs(tensorMultiple: 2, rowsMin: 2), EngineProfile.CE, async (sim, desc) =>
        {
            Assert.Null(LlmArbitraries.DefectOf(desc));
            Assert.All(LlmArbitraries.CacheDescs(tensorMultiple: 2, rowsMin: 2).Shrinker(desc), s =>
                Assert.True(LlmArbitraries.DefectOf(s) is null && s.NumTensors % 2 == 0 && s.Shape[0] >= 2, LlmArbitraries.Describe(s)));
            var prompt = sim.CreateClient(1, LlmRole.Prompt);
            await prompt.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, ListenIpInfo = SimulationContext.ListenEndpoint(1) });
            var cache = await prompt.AllocateCacheAsync(desc);
            sim.Fill(cache, 3);
            Assert.Equal((int)desc.NumTensors, sim.Read(cache).Length);
            Assert.Equal(LlmArbitraries.TensorBytes(desc), sim.Read(cache)[0].Length);
        }, _ => Settings);

    [Property(MaxTest = 200)]
    public bool Invalid_cache_descriptors_break_the_rule_they_name_and_shrink_within_it(SampleIndex sample) => Holds(
        LlmArbitraries.InvalidCacheDescs(), sample.Index, c => LlmArbitraries.DefectOf(c.Desc) == c.Defect);

    [Property(MaxTest = 200)]
    public bool Block_pairs_are_valid_and_invalid_ones_break_the_rule_they_name(SampleIndex sample) =>
        Holds(LlmArbitraries.BlockPairs(8, 6), sample.Index, b => LlmArbitraries.BlockDefectOf(b, 8, 6) is null && b.Destination.Distinct().Count() == b.Destination.Count)
        && Holds(LlmArbitraries.InvalidBlockPairs(8, 6), sample.Index, c => LlmArbitraries.BlockDefectOf(c.Blocks, 8, 6) == c.Defect);

    [Property(MaxTest = 200)]
    public bool Layer_selections_are_valid_and_invalid_ones_break_the_rule_they_name(SampleIndex sample) =>
        Holds(LlmArbitraries.LayerSelections(6), sample.Index, e => LlmArbitraries.LayerDefectOf(e, 6, push: true) is null)
        && Holds(LlmArbitraries.InvalidLayerSelections(6), sample.Index, c => LlmArbitraries.LayerDefectOf(c.ExtParam, 6, c.Push) == c.Defect);

    [Property(MaxTest = 40)]
    public Property A_valid_layer_selection_pulls_exactly_its_tensor_pairs() =>
        SimulationProperty.ForAll(LlmArbitraries.LayerSelections(6), EngineProfile.HX, async (sim, ext) =>
        {
            var desc = new CacheDesc(CachePlacement.Device, 6, DataType.Int8, [4, 8]);
            var pair = await Support.LinkedPair.CreateAsync(sim, desc);
            sim.Fill(pair.PromptCache, 1);
            sim.Fill(pair.DecoderCache, 2);
            var (source, before) = (sim.Read(pair.PromptCache), sim.Read(pair.DecoderCache));

            await pair.Decoder.PullKvCacheAsync(new CacheIndex(Support.LinkedPair.PromptId, pair.PromptCache.CacheId, 1), pair.DecoderCache, 3, extParam: ext);

            var expected = CacheBytes.Expected(source, before, LlmArbitraries.RowBytes(desc), [(1, 3)], CacheBytes.TensorPairs(ext, 6, push: false));
            Assert.Null(CacheBytes.FirstDifference(expected, sim.Read(pair.DecoderCache)));
        }, _ => Settings);

    [Property(MaxTest = 100)]
    public bool Layouts_build_topologies_with_one_npu_per_cluster(SampleIndex sample) =>
        Holds(LlmArbitraries.ClusterLayouts(4, 4), sample.Index, l =>
            l.BuildTopology().Npus.Count == l.Prompts + l.Decoders
            && l.Clusters.Select(c => (c.Server, c.DeviceId)).Distinct().Count() == l.Clusters.Count
            && l.Clusters.All(c => l.BuildTopology().NpusOf(c.Server).Any(n => n.DeviceId == c.DeviceId)));

    [Property(MaxTest = 100)]
    public bool Fault_plans_build_worlds_and_scripted_ones_heal(SampleIndex sample) =>
        Holds(LlmArbitraries.FaultPlans(4, [1, 2, 3, 4]), sample.Index, spec =>
        {
            var plan = spec.ToPlan();
            using var world = new SimulatedWorld(1, new ClusterLayout(ServerKind.A2, 2, 2).BuildTopology(), plan);
            return spec is not SingleFault || LlmArbitraries.HealedAtNs(plan) <= 2 * 100 * SimTime.NsPerMs;
        });

    [Fact]
    public void Ip_texts_are_labelled_as_the_engines_read_them()
    {
        var samples = LlmArbitraries.IpTexts().Generator.Sample(200, new Rnd(5UL, 7UL), 500);

        Assert.All(samples, ip => Assert.Equal(ip.Valid, IsDottedIpv4(ip.Text)));
        Assert.Contains(samples, ip => ip.Valid);
        Assert.Contains(samples, ip => !ip.Valid);

        // inet_pton: four decimal octets 0..255, no leading zeros, nothing else.
        static bool IsDottedIpv4(string text)
        {
            var parts = text.Split('.');
            return parts.Length == 4 && parts.All(p => p.Length is >= 1 and <= 3 && p.All(char.IsAsciiDigit) && (p.Length == 1 || p[0] != '0') && int.Parse(p, System.Globalization.CultureInfo.InvariantCulture) <= 255);
        }
    }

    /// <summary>The value at <paramref name="index"/> of a fixed sample, and all its shrinks, satisfy <paramref name="ok"/>.</summary>
    private static bool Holds<T>(Arbitrary<T> arbitrary, int index, Func<T, bool> ok)
    {
        var value = arbitrary.Generator.Sample(50, new Rnd((ulong)index, 11UL), 1)[0];
        return ok(value) && arbitrary.Shrinker(value).All(ok);
    }
}

/// <summary>A small index FsCheck draws, so each case samples a different value deterministically.</summary>
public sealed record SampleIndex(int Index);
