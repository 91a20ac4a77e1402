namespace LlmDataDist.Conformance;

/// <summary>
/// The backend-agnostic conformance suite: one test per rule and status of the reference, run against the raw
/// contract so statuses are seen exactly. A backend's test project derives from it and supplies the harness;
/// tests of one engine only skip themselves on the other.
/// </summary>
public abstract partial class ConformanceSuite
{
    protected const ulong PromptId = 1;
    protected const ulong DecoderId = 2;
    protected const string PromptIp = "10.0.0.1";
    protected const string DecoderIp = "10.0.0.2";
    protected const ushort PromptPort = 26000;
    protected const int PromptServer = 0;
    protected const int DecoderServer = 1;

    /// <summary>The samples' cache: 4 int32 tensors of [8, 16] — 512 bytes each, 8 rows of 64 bytes, 2 layers of K and V.</summary>
    protected static CacheDesc SampleDesc => new() { NumTensors = 4, DataType = DataType.Int32, Shape = [8, 16] };

    /// <summary>Creates the backend under test for one engine profile.</summary>
    /// <param name="profile">The engine.</param>
    /// <returns>The harness.</returns>
    protected abstract IConformanceHarness CreateHarness(ConformanceProfile profile);

    /// <summary>Runs a scenario on a fresh harness of the profile; every status any backend returns in it is checked
    /// against the statuses the reference lists for that method (<see cref="ReferenceStatuses"/>).</summary>
    protected void Scenario(ConformanceProfile profile, Func<IConformanceHarness, Task> body) => Scenario(profile, ConformanceCapabilities.None, body);

    /// <summary>Runs a scenario that needs more than the contract (see <see cref="ConformanceCapabilities"/>); skipped,
    /// saying what is missing, on a backend that lacks it.</summary>
    protected void Scenario(ConformanceProfile profile, ConformanceCapabilities needs, Func<IConformanceHarness, Task> body)
    {
        SkipUnlessCapable(profile, needs);
        using var harness = new CheckedHarness(CreateHarness(profile));
        harness.Run(() => body(harness));
    }

    /// <summary>What the backend under test can do; the default is everything the suite uses.</summary>
    protected virtual ConformanceCapabilities Capabilities => ConformanceCapabilities.All;

    /// <summary>Skips the running case when the backend lacks the profile or a capability it needs.</summary>
    protected void SkipUnlessCapable(ConformanceProfile profile, ConformanceCapabilities needs = ConformanceCapabilities.None)
    {
        var missing = (needs | (profile == ConformanceProfile.CE ? ConformanceCapabilities.CeProfile : ConformanceCapabilities.HxProfile)) & ~Capabilities;
        Skip.If(missing != ConformanceCapabilities.None, $"needs {Describe(missing)}, which this backend lacks");
    }

    private static string Describe(ConformanceCapabilities capabilities) => string.Join(" and ", new (ConformanceCapabilities Flag, string Text)[]
    {
        (ConformanceCapabilities.CeProfile, "the CE engine"),
        (ConformanceCapabilities.HxProfile, "the HX engine"),
        (ConformanceCapabilities.ModelledTiming, "modelled timing (a call seen in flight, a transfer outlasting its wait)"),
    }.Where(c => capabilities.HasFlag(c.Flag)).Select(c => c.Text));

    protected static Dictionary<string, string> Options(int deviceId = 0, string? listen = null, params (string Key, string Value)[] extra)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal) { [LlmOptionKeys.DeviceId] = deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture) };
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

    protected static string PromptListen => $"{PromptIp}:{PromptPort}";

    /// <summary>The decoder's view of the prompt: one device each side.</summary>
    protected static ClusterInfo ToPrompt(ulong remoteId = PromptId, string remoteIp = PromptIp, ushort port = PromptPort, string localIp = DecoderIp) =>
        new() { RemoteClusterId = remoteId, LocalIpInfos = [new IpInfo { Ip = localIp }], RemoteIpInfos = [new IpInfo { Ip = remoteIp, Port = port }] };

    protected static ClusterInfo ToDecoder() =>
        new() { RemoteClusterId = DecoderId, LocalIpInfos = [new IpInfo { Ip = PromptIp }], RemoteIpInfos = [new IpInfo { Ip = DecoderIp }] };

    /// <summary>A prompt (listening) and a decoder, both initialized, on two servers.</summary>
    protected sealed record Pair(IConformanceHarness Harness, ILlmDataDistBackend Prompt, ILlmDataDistBackend Decoder);

    protected static async Task<Pair> InitializedPairAsync(IConformanceHarness h, params (string Key, string Value)[] extra)
    {
        var prompt = h.Create(PromptId, LlmRole.Prompt, PromptServer);
        var decoder = h.Create(DecoderId, LlmRole.Decoder, DecoderServer);
        Assert.Equal(LlmStatus.Success, await prompt.InitializeAsync(Options(0, PromptListen, extra)));
        Assert.Equal(LlmStatus.Success, await decoder.InitializeAsync(Options(0, null, extra)));
        return new Pair(h, prompt, decoder);
    }

    protected static async Task<Pair> LinkedPairAsync(IConformanceHarness h, params (string Key, string Value)[] extra)
    {
        var pair = await InitializedPairAsync(h, extra);
        var link = await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000);
        Assert.Equal(LlmStatus.Success, link.Status);
        Assert.Equal([LlmStatus.Success], link.Rets);
        return pair;
    }

    /// <summary>A cache the instance knows: allocated (CE) or device memory registered (HX).</summary>
    protected static async Task<Cache> CacheAsync(IConformanceHarness h, ILlmDataDistBackend backend, int server, CacheDesc? desc = null, int deviceId = 0)
    {
        desc ??= SampleDesc;
        if (h.Profile == ConformanceProfile.CE)
        {
            var allocated = await backend.AllocateCacheAsync(desc);
            Assert.Equal(LlmStatus.Success, allocated.Status);
            return allocated.Cache;
        }

        var addresses = Enumerable.Range(0, (int)desc.NumTensors).Select(_ => h.AllocateDeviceMemory(server, deviceId, TensorBytes(desc))).ToArray();
        var registered = await backend.RegisterKvCacheAsync(desc, addresses, new RegisterCfg());
        Assert.Equal(LlmStatus.Success, registered.Status);
        return new Cache(registered.CacheId, addresses, desc);
    }

    protected static long TensorBytes(CacheDesc desc)
    {
        var elements = desc.Shape.Aggregate(1L, (a, b) => a * b);
        var bits = desc.DataType.GetElementBits();
        return ((elements * bits) + 7) / 8;
    }

    protected static long Stride(CacheDesc desc) => TensorBytes(desc) / desc.Shape[0];

    /// <summary>Fills every tensor with bytes that differ per tensor, per position and per seed.</summary>
    protected static void Fill(IConformanceHarness h, Cache cache, byte seed)
    {
        var bytes = TensorBytes(cache.CacheDesc);
        for (var t = 0; t < cache.TensorAddrs.Count; t++)
        {
            h.Write(cache.TensorAddrs[t], Pattern(bytes, seed, t));
        }
    }

    protected static byte[] Pattern(long length, byte seed, int tensor)
    {
        var data = new byte[length];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = unchecked((byte)((i * 31) + (tensor * 7) + (seed * 101) + 1));
        }

        return data;
    }

    protected static byte[][] Snapshot(IConformanceHarness h, Cache cache) =>
        cache.TensorAddrs.Select(a => h.Read(a, TensorBytes(cache.CacheDesc))).ToArray();

    /// <summary>Asserts that exactly the listed byte ranges of each tensor changed to the expected bytes and nothing else did.</summary>
    protected static void AssertOnlyChanged(byte[][] before, byte[][] after, IEnumerable<(int Tensor, long Offset, byte[] Expected)> writes)
    {
        var expected = before.Select(b => (byte[])b.Clone()).ToArray();
        foreach (var (tensor, offset, bytes) in writes)
        {
            bytes.CopyTo(expected[tensor], offset);
        }

        for (var t = 0; t < expected.Length; t++)
        {
            Assert.True(expected[t].AsSpan().SequenceEqual(after[t]), $"tensor {t}: first difference at byte {FirstDifference(expected[t], after[t])}");
        }
    }

    private static int FirstDifference(byte[] a, byte[] b)
    {
        for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            if (a[i] != b[i])
            {
                return i;
            }
        }

        return a.Length == b.Length ? -1 : Math.Min(a.Length, b.Length);
    }

    protected static byte[] Slice(byte[] bytes, long offset, long length) => bytes.AsSpan((int)offset, (int)length).ToArray();

    protected static void SkipUnless(IConformanceHarness h, ConformanceProfile profile)
    {
        // Tests of one engine state their profile in their data; a mismatch is a bug in the test, not a skip.
        Assert.Equal(profile, h.Profile);
    }
}
