using LlmDataDist.Conformance;
using LlmDataDist.Simulator.Backend;
using LlmDataDist.Simulator.Semantics;
using LlmDataDist.Simulator.Tests.Backend;
using static LlmDataDist.Samples.Simulated.SimulatedKit;

namespace LlmDataDist.Simulator.Tests.Faults;

/// <summary>
/// A linked 1P1D pair on two A2 servers under a fault plan: the prompt on npu0 (server 0), the decoder on npu8
/// (server 1), so a pull crosses <c>npu0.roce.tx</c> then <c>npu8.roce.rx</c>. Transfers have a 50 ms
/// llm.SyncKvCacheWaitTime budget. Every helper measures virtual time and checks bytes exactly.
/// </summary>
internal sealed class FaultScenario : IDisposable
{
    public const int SyncWaitMs = 50;
    public const long BudgetNs = SyncWaitMs * SimTime.NsPerMs;
    public const int LinkTimeoutMs = 100;
    public const int PromptNpu = 0;
    public const int DecoderNpu = 8;

    /// <summary>4 int32 tensors of [8, 16]: 8 rows of 64 bytes.</summary>
    public static readonly CacheDesc Desc = new(CachePlacement.Device, 4, DataType.Int32, [8, 16]);

    private byte _fill = 1;

    public FaultScenario(EngineProfile profile, FaultPlan plan, ulong seed = 1)
    {
        Profile = profile;
        Harness = new SimulatedHarness(profile == EngineProfile.CE ? ConformanceProfile.CE : ConformanceProfile.HX, seed, plan);
        Prompt = Harness.Create(PromptId, LlmRole.Prompt, server: 0);
        Decoder = Harness.Create(DecoderId, LlmRole.Decoder, server: 1);
    }

    public EngineProfile Profile { get; }

    public SimulatedHarness Harness { get; }

    public SimulatedWorld World => Harness.World;

    public ILlmDataDistBackend Prompt { get; }

    public ILlmDataDistBackend Decoder { get; }

    public SimulatedBackend PromptInstance => Harness.Fabric.InstancesOf(PromptId).Single();

    public SimulatedBackend DecoderInstance => Harness.Fabric.InstancesOf(DecoderId).Single();

    /// <summary>The prompt's cache; replace it when a crash took the old one away.</summary>
    public Cache Source { get; set; } = new();

    public Cache Destination { get; private set; } = new();

    /// <summary>What a transfer over a broken link returns (§12.8): CE WAIT_PROC_TIMEOUT, HX TIMEOUT.</summary>
    public LlmStatus TimeoutStatus => Profile == EngineProfile.CE ? LlmStatus.WaitProcTimeout : LlmStatus.Timeout;

    public static IEnumerable<object[]> Profiles => [[EngineProfile.CE], [EngineProfile.HX]];

    public static Dictionary<string, string> Options(bool listen, params (string Key, string Value)[] extra)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [LlmOptionKeys.DeviceId] = "0",
            [LlmOptionKeys.SyncKvCacheWaitTime] = SyncWaitMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (listen)
        {
            options[LlmOptionKeys.ListenIpInfo] = $"{PromptIp}:{PromptPort}";
        }

        foreach (var (key, value) in extra)
        {
            options[key] = value;
        }

        return options;
    }

    public void Run(Func<FaultScenario, Task> body) => Harness.Run(() => body(this));

    /// <summary>Both initialized and linked, a cache on each side, and one pull that succeeds with exact bytes (so
    /// HX has read the prompt's cache table and later failures are the link's, not the first-transfer snapshot's).</summary>
    public async Task SetUpAsync(bool link = true, bool warmUp = true)
    {
        Assert.Equal(LlmStatus.Success, await Prompt.InitializeAsync(Options(listen: true)));
        Assert.Equal(LlmStatus.Success, await Decoder.InitializeAsync(Options(listen: false)));
        Source = await CacheAsync(Prompt, server: 0);
        Destination = await CacheAsync(Decoder, server: 1);
        if (link)
        {
            await LinkAsync();
        }

        if (link && warmUp)
        {
            await PullSucceedsAsync();
        }
    }

    public async Task<Cache> CacheAsync(ILlmDataDistBackend backend, int server)
    {
        if (Profile == EngineProfile.CE)
        {
            var allocated = await backend.AllocateCacheAsync(Desc);
            Assert.Equal(LlmStatus.Success, allocated.Status);
            return allocated.Cache;
        }

        var addresses = AllocateTensors(World, server, Desc, $"test/s{server}");
        Assert.NotNull(addresses);
        var registered = await backend.RegisterKvCacheAsync(Desc, addresses, new RegisterCfg());
        Assert.Equal(LlmStatus.Success, registered.Status);
        return new Cache(registered.CacheId, addresses, Desc);
    }

    public async Task LinkAsync()
    {
        var link = await Decoder.LinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs);
        Assert.Equal(LlmStatus.Success, link.Status);
        Assert.Equal([LlmStatus.Success], link.Rets);
    }

    /// <summary>The recovery recipe of both engines (§6.5): force-unlink on both sides, then link again from the client.
    /// (A CE prompt tears down its server side whatever the force flag says.)</summary>
    public async Task RecoverAsync()
    {
        Assert.Equal(LlmStatus.Success, (await Decoder.UnlinkLlmClustersAsync([DecoderToPrompt], LinkTimeoutMs, forceFlag: true)).Status);
        Assert.Equal(LlmStatus.Success, (await Prompt.UnlinkLlmClustersAsync([PromptToDecoder], LinkTimeoutMs, forceFlag: true)).Status);
        Assert.DoesNotContain(PromptId, DecoderInstance.LinkedClusterIds);
        Assert.DoesNotContain(DecoderId, PromptInstance.LinkedClusterIds);
        await LinkAsync();
    }

    /// <summary>Pulls prompt row 2 into decoder row 5 and returns the status and the virtual time it took; the
    /// prompt's cache is refilled first, so every success moves new bytes (unless a crash freed it: null source).</summary>
    public async Task<(LlmStatus Status, long ElapsedNs, byte[][]? Source, byte[][] Before)> PullAsync(ILlmDataDistBackend? decoder = null)
    {
        if (TryRead(World, Source) is not null)
        {
            Fill(World, Source, _fill);
        }

        _fill++;
        Fill(World, Destination, _fill++);
        var source = TryRead(World, Source);
        var before = TryRead(World, Destination)!;
        var start = World.NowNs;
        var status = await (decoder ?? Decoder).PullKvCacheAsync(new CacheIndex(PromptId, Source.CacheId, 2), Destination, 5, -1, new KvCacheExtParam());
        return (status, World.NowNs - start, source, before);
    }

    /// <summary>A pull that succeeds: exactly row 5 of every destination tensor now equals row 2 of the source.</summary>
    public async Task<long> PullSucceedsAsync()
    {
        var (status, elapsed, source, before) = await PullAsync();
        Assert.Equal(LlmStatus.Success, status);
        AssertExactly(source!, before, [(2, 5)]);
        return elapsed;
    }

    /// <summary>A pull that fails with the engine's timeout after exactly the llm.SyncKvCacheWaitTime budget in virtual
    /// time, leaving the destination unchanged.</summary>
    public async Task PullTimesOutAsync()
    {
        var (status, elapsed, _, before) = await PullAsync();
        Assert.Equal(TimeoutStatus, status);
        Assert.Equal(BudgetNs, elapsed);
        AssertUnchanged(before);
    }

    public void AssertExactly(byte[][] source, byte[][] before, IReadOnlyList<(long From, long To)> rows)
    {
        var after = TryRead(World, Destination)!;
        var difference = FirstDifference(Expected(source, before, RowBytes(Desc), rows), after);
        Assert.True(difference is null, $"destination differs at {difference}");
    }

    public void AssertUnchanged(byte[][] before)
    {
        var difference = FirstDifference(before, TryRead(World, Destination)!);
        Assert.True(difference is null, $"a failed transfer changed the destination at {difference}");
    }

    public Task DelayUntilAsync(long atNs)
    {
        Assert.True(atNs >= World.NowNs, $"the scenario is already at {SimTime.Format(World.NowNs)}, past {SimTime.Format(atNs)}");
        return World.Loop.Delay(atNs - World.NowNs);
    }

    /// <summary>Transfer spans of the trace that crossed a link, in order, as (status, cause).</summary>
    public List<(string Status, string Cause)> TransfersOver(string link) =>
        [.. World.Trace.Events.Where(e => e.Name == "Transfer" && Arg(e, "route").Split('>').Contains(link)).Select(e => (Arg(e, "status"), Arg(e, "cause")))];

    public static string Arg(TraceEvent e, string key) => e.Args.Single(a => a.Key == key).Value;

    public LlmDataDistClient Client(ILlmDataDistBackend backend) => new(backend, ClientOptions(World));

    public void Dispose() => Harness.Dispose();
}
