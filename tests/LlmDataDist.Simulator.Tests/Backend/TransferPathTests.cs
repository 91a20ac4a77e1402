using LlmDataDist.Simulator.Backend;
using LlmDataDist.Simulator.Semantics;
using static LlmDataDist.Samples.Simulated.SimulatedKit;

namespace LlmDataDist.Simulator.Tests.Backend;

/// <summary>
/// Which calibrated path an engine transfer is priced by: CE and the HX default backend take the comm domain, HX with
/// <c>llm.TransferBackend=hixl</c> takes hixl_cs; pulls and pushes have their own constants; RoCE inside one server
/// when the fabric asks for it. Without jitter, the KV transfer's span lasts exactly what the expected priced route says.
/// </summary>
public sealed class TransferPathTests
{
    /// <summary>4 int32 tensors of [16, 256]: one batch row is 1 KiB per tensor, 4 descriptors.</summary>
    private static readonly CacheDesc Desc = new(CachePlacement.Device, 4, DataType.Int32, [16, 256]);

    public static TheoryData<EngineProfile, bool, TransferDirection, TransferPath> Cases() => new()
    {
        { EngineProfile.CE, false, TransferDirection.Pull, TransferPath.CommDomain },
        { EngineProfile.CE, false, TransferDirection.Push, TransferPath.CommDomain },
        { EngineProfile.HX, false, TransferDirection.Pull, TransferPath.CommDomain },
        { EngineProfile.HX, false, TransferDirection.Push, TransferPath.CommDomain },
        { EngineProfile.HX, true, TransferDirection.Pull, TransferPath.HixlCs },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_KV_transfer_is_priced_by_its_engine_path_and_direction(EngineProfile profile, bool hixl, TransferDirection direction, TransferPath expected)
    {
        foreach (var (decoderServer, roceInside) in new[] { (0, false), (1, false), (0, true) })
        {
            var (span, topology, promptNpu, decoderNpu) = Transfer(profile, hixl, direction, decoderServer, roceInside);
            var (source, destination) = (promptNpu, decoderNpu); // the decoder pulls from the prompt, or the prompt pushes to it

            var via = roceInside ? LinkKind.Roce : (LinkKind?)null;
            var route = topology.FindRoute(source, destination, expected, direction, via);
            var bytes = long.Parse(Arg(span, "bytes"), System.Globalization.CultureInfo.InvariantCulture);
            var blocks = int.Parse(Arg(span, "blocks"), System.Globalization.CultureInfo.InvariantCulture);
            var what = $"{profile} hixl={hixl} {direction} decoder on server {decoderServer}, RoCE inside={roceInside}";
            Assert.Equal(string.Join('>', route.Hops.Select(h => h.Name)), Arg(span, "route"));
            Assert.Equal(route.IdealDurationNs(bytes, blocks), span.DurationNs);

            // The other path and the other direction would have taken another time: the choice is visible.
            var otherPath = topology.FindRoute(source, destination, expected == TransferPath.HixlCs ? TransferPath.CommDomain : TransferPath.HixlCs, direction, via);
            Assert.True(otherPath.IdealDurationNs(bytes, blocks) != span.DurationNs, what);
            var otherDirection = topology.FindRoute(source, destination, expected, direction == TransferDirection.Pull ? TransferDirection.Push : TransferDirection.Pull, via);
            if (topology.PathKeyOf(route, expected, direction)!.Value.Transport == LinkKind.Hccs)
            {
                Assert.True(otherDirection.IdealDurationNs(bytes, blocks) != span.DurationNs, what); // HCCS pull and push differ (A2 table)
            }
        }
    }

    [Fact]
    public void Roce_inside_one_server_takes_the_roce_ports_and_the_one_server_roce_constants()
    {
        var (span, topology, promptNpu, decoderNpu) = Transfer(EngineProfile.CE, hixl: false, TransferDirection.Pull, decoderServer: 0, roceInside: true);
        Assert.Equal($"npu{promptNpu}.roce.tx>npu{decoderNpu}.roce.rx", Arg(span, "route"));
        var route = topology.FindRoute(promptNpu, decoderNpu, TransferPath.CommDomain, TransferDirection.Pull, LinkKind.Roce);
        Assert.Equal(new PathKey(Platform.A2, LinkKind.Roce, LinkScope.OneServer, TransferPath.CommDomain, TransferDirection.Pull),
            topology.PathKeyOf(route, TransferPath.CommDomain, TransferDirection.Pull));
    }

    private static (TraceEvent Span, Topology Topology, int PromptNpu, int DecoderNpu) Transfer(EngineProfile profile, bool hixl, TransferDirection direction,
        int decoderServer, bool roceInside)
    {
        using var world = new SimulatedWorld(1, Topology.A2(2), options: new SimulationOptions(Jitter: false));
        var fabric = new SimulatedFabric(world, profile) { RoceInsideHccsDomain = roceInside };
        var prompt = fabric.Factory(0).Create(PromptId, LlmRole.Prompt);
        var decoder = fabric.Factory(decoderServer).Create(DecoderId, LlmRole.Decoder);
        var decoderDevice = decoderServer == 0 ? 1 : 0;
        world.Run(async () =>
        {
            Assert.Equal(LlmStatus.Success, await prompt.InitializeAsync(Options(0, $"{PromptIp}:{PromptPort}", hixl)));
            Assert.Equal(LlmStatus.Success, await decoder.InitializeAsync(Options(decoderDevice, hixl ? $"{DecoderIp}:{DecoderPort}" : null, hixl)));
            var source = await CacheAsync(world, profile, prompt, 0);
            var destination = await CacheAsync(world, profile, decoder, decoderServer);
            Assert.Equal(LlmStatus.Success, (await decoder.LinkLlmClustersAsync([DecoderToPrompt], 1000)).Status);
            var status = direction == TransferDirection.Pull
                ? await decoder.PullKvCacheAsync(new CacheIndex(PromptId, source.CacheId, 2), destination, 5, -1, new KvCacheExtParam())
                : await prompt.PushKvCacheAsync(source, new CacheIndex(DecoderId, destination.CacheId, 5), 2, -1, new KvCacheExtParam());
            Assert.Equal(LlmStatus.Success, status);
        });

        // A KV transfer is a span with more bytes than a control message (a pull moves the row of all 4 tensors at
        // once, a push one layer of K and V at a time).
        var span = world.Trace.Events.Where(e => e.Name == "Transfer").MaxBy(e => long.Parse(Arg(e, "bytes"), System.Globalization.CultureInfo.InvariantCulture))!;
        Assert.Equal(direction == TransferDirection.Pull ? 4 * 1024 : 2 * 1024, long.Parse(Arg(span, "bytes"), System.Globalization.CultureInfo.InvariantCulture));
        return (span, world.Topology, 0, world.Topology.NpusOf(decoderServer)[decoderDevice].Id);
    }

    private static Dictionary<string, string> Options(int device, string? listen, bool hixl)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal) { [LlmOptionKeys.DeviceId] = device.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (listen is not null)
        {
            options[LlmOptionKeys.ListenIpInfo] = listen;
        }

        if (hixl)
        {
            options[LlmOptionKeys.TransferBackend] = "hixl";
        }

        return options;
    }

    private static async Task<Cache> CacheAsync(SimulatedWorld world, EngineProfile profile, ILlmDataDistBackend backend, int server)
    {
        if (profile == EngineProfile.CE)
        {
            var allocated = await backend.AllocateCacheAsync(Desc);
            Assert.Equal(LlmStatus.Success, allocated.Status);
            return allocated.Cache;
        }

        var addresses = AllocateTensors(world, server, Desc, $"path/s{server}")!;
        var registered = await backend.RegisterKvCacheAsync(Desc, addresses, new RegisterCfg());
        Assert.Equal(LlmStatus.Success, registered.Status);
        return new Cache(registered.CacheId, addresses, Desc);
    }

    private static string Arg(TraceEvent e, string key) => e.Args.Single(a => a.Key == key).Value;
}
