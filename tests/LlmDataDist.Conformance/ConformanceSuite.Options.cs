namespace LlmDataDist.Conformance;

// §5.1, §7, §9.3, §9.5: Initialize's option rules per engine, start-up failures, Finalize stopping the listener,
// and SetRole's validation order and listen semantics.
public abstract partial class ConformanceSuite
{
    /// <summary>"key=value|key=value"; keys are the option strings.</summary>
    private static Dictionary<string, string> Parse(string text) =>
        text.Length == 0 ? [] : text.Split('|').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    [Theory]
    // llm.DeviceId: required; decimal int32 ≥ 0; CE accepts a list, HX does not; an id the server lacks fails start-up.
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.HX, LlmRole.Decoder, "llm.DeviceId=abc", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=1x", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.HX, LlmRole.Decoder, "llm.DeviceId=-1", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=2147483648", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=0;1", LlmStatus.Success)]
    [InlineData(ConformanceProfile.HX, LlmRole.Decoder, "llm.DeviceId=0;1", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=99", LlmStatus.Failed)]
    [InlineData(ConformanceProfile.HX, LlmRole.Decoder, "llm.DeviceId=99", LlmStatus.Failed)]
    // Parsing precedes start-up: a bad option wins over a device the server lacks.
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=99|llm.SyncKvCacheWaitTime=x", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.HX, LlmRole.Decoder, "llm.DeviceId=99|llm.SyncKvCacheWaitTime=x", LlmStatus.ParamInvalid)]
    // llm.ListenIpInfo: IPv4:port (HX also [IPv6]:port); exactly one colon; numeric port.
    [InlineData(ConformanceProfile.CE, LlmRole.Prompt, "llm.DeviceId=0|llm.ListenIpInfo=10.0.0.1", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.HX, LlmRole.Prompt, "llm.DeviceId=0|llm.ListenIpInfo=10.0.0.1:1:2", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.CE, LlmRole.Prompt, "llm.DeviceId=0|llm.ListenIpInfo=10.0.0.1:abc", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.CE, LlmRole.Prompt, "llm.DeviceId=0|llm.ListenIpInfo=10.0.0.1:4294967296", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.CE, LlmRole.Prompt, "llm.DeviceId=0|llm.ListenIpInfo=[::1]:26000", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.HX, LlmRole.Prompt, "llm.DeviceId=0|llm.ListenIpInfo=[::1]:26000", LlmStatus.Success)]
    [InlineData(ConformanceProfile.CE, LlmRole.Prompt, "llm.DeviceId=0|llm.ListenIpInfo=10.0.0.1:70000", LlmStatus.Success)] // > 65535: accepted as the engines parse (unconfirmed effect, §13.4)
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=0|llm.ListenIpInfo=nonsense", LlmStatus.Success)] // CE checks it for a Prompt only (§9.3); SetRole parses it for any role
    // llm.SyncKvCacheWaitTime: digits only; "0" accepted.
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=0|llm.SyncKvCacheWaitTime=", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.HX, LlmRole.Decoder, "llm.DeviceId=0|llm.SyncKvCacheWaitTime=-1", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=0|llm.SyncKvCacheWaitTime=1.5", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.HX, LlmRole.Decoder, "llm.DeviceId=0|llm.SyncKvCacheWaitTime=0", LlmStatus.Success)]
    // llm.BufPoolCfg: CE only.
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=0|llm.BufPoolCfg=", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=0|llm.BufPoolCfg={}", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=0|llm.BufPoolCfg=not json", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=0|llm.BufPoolCfg={\"buf_pool_size\": 0}", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=0|llm.BufPoolCfg={\"buf_pool_size\": -5}", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=0|llm.BufPoolCfg={\"buf_pool_size\": \"1\"}", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=0|llm.BufPoolCfg={\"buf_pool_size\": 1.5}", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=0|llm.BufPoolCfg={\"buf_pool_size\": 99999999999999999999}", LlmStatus.ParamInvalid)]
    // buf_cfg without buf_pool_size is accepted (the pool keeps its default size); so are both together.
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=0|llm.BufPoolCfg={\"buf_cfg\": [{\"total_size\": 4194304, \"blk_size\": 256, \"max_buf_size\": 1024}]}", LlmStatus.Success)]
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=0|llm.BufPoolCfg={\"buf_pool_size\": 8388608, \"buf_cfg\": [{\"total_size\": 4194304, \"blk_size\": 256, \"max_buf_size\": 1024}]}", LlmStatus.Success)]
    [InlineData(ConformanceProfile.HX, LlmRole.Decoder, "llm.DeviceId=0|llm.BufPoolCfg=not json", LlmStatus.Success)]
    // llm.EnableSwitchRole: CE "0" / "1"; HX ignores it.
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=0|llm.EnableSwitchRole=2", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.HX, LlmRole.Decoder, "llm.DeviceId=0|llm.EnableSwitchRole=2", LlmStatus.Success)]
    // llm.TransferBackend: HX "hixl" only, and with a listener; CE ignores it. RDMA options: HX numeric.
    [InlineData(ConformanceProfile.HX, LlmRole.Decoder, "llm.DeviceId=0|llm.TransferBackend=other|llm.ListenIpInfo=10.0.0.2:1", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.CE, LlmRole.Decoder, "llm.DeviceId=0|llm.TransferBackend=other", LlmStatus.Success)]
    [InlineData(ConformanceProfile.HX, LlmRole.Decoder, "llm.DeviceId=0|llm.RdmaTrafficClass=abc", LlmStatus.ParamInvalid)]
    [InlineData(ConformanceProfile.HX, LlmRole.Decoder, "llm.DeviceId=0|llm.TransferBackend=hixl|llm.ListenIpInfo=10.0.0.2:1|llm.GlobalResourceConfig={", LlmStatus.Failed)]
    [InlineData(ConformanceProfile.HX, LlmRole.Decoder, "llm.DeviceId=0|llm.TransferBackend=hixl|llm.ListenIpInfo=10.0.0.2:1|llm.GlobalResourceConfig={}", LlmStatus.Success)]
    // Other keys pass through.
    [InlineData(ConformanceProfile.CE, LlmRole.Mix, "llm.DeviceId=0|ge.anything=x", LlmStatus.Success)]
    [InlineData(ConformanceProfile.HX, LlmRole.Mix, "llm.DeviceId=0|ge.anything=x", LlmStatus.Success)]
    public void Initialize_option_rules_per_engine(ConformanceProfile profile, LlmRole role, string options, LlmStatus expected) => Scenario(profile, async h =>
    {
        var b = h.Create(DecoderId, role);
        Assert.Equal(expected, await b.InitializeAsync(Parse(options)));
        if (expected != LlmStatus.Success)
        {
            Assert.Equal(LlmStatus.Failed, await b.SetRoleAsync(LlmRole.Mix, NoOptions)); // still constructed
        }
    });

    [Theory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void A_listen_endpoint_another_instance_holds_fails_start_up_until_it_is_released(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var pair = await InitializedPairAsync(h);
        var rival = h.Create(3, LlmRole.Prompt, PromptServer);
        Assert.Equal(LlmStatus.Failed, await rival.InitializeAsync(Options(1, PromptListen)));
        await pair.Prompt.ShutdownAsync();
        Assert.Equal(LlmStatus.Success, await rival.InitializeAsync(Options(1, PromptListen)));
        var link = await pair.Decoder.LinkLlmClustersAsync([ToPrompt(remoteId: 3)], 1000);
        Assert.Equal(LlmStatus.Success, link.Rets.Single());
    });

    [Theory]
    [InlineData(ConformanceProfile.CE)]
    [InlineData(ConformanceProfile.HX)]
    public void Finalize_and_dispose_stop_the_listener(ConformanceProfile profile) => Scenario(profile, async h =>
    {
        var pair = await InitializedPairAsync(h);
        await pair.Prompt.ShutdownAsync();
        Assert.Equal([LlmStatus.LinkFailed], (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Rets);
        Assert.Equal(LlmStatus.Success, await pair.Prompt.InitializeAsync(Options(0, PromptListen)));
        pair.Prompt.Dispose(); // the destructor finalizes implicitly (§5.1)
        Assert.Equal([LlmStatus.LinkFailed], (await pair.Decoder.LinkLlmClustersAsync([ToPrompt()], 1000)).Rets);
    });

    [Fact]
    public void CE_SetRole_checks_role_listen_option_devices_listen_presence_then_links_in_that_order() => Scenario(ConformanceProfile.CE, async h =>
    {
        var disabled = h.Create(5, LlmRole.Decoder, DecoderServer);
        Assert.Equal(LlmStatus.Success, await disabled.InitializeAsync(Options(1)));
        Assert.Equal(LlmStatus.ParamInvalid, await disabled.SetRoleAsync(LlmRole.End, NoOptions));                                                            // 2 before 4
        Assert.Equal(LlmStatus.ParamInvalid, await disabled.SetRoleAsync(LlmRole.Mix, new Dictionary<string, string> { [LlmOptionKeys.ListenIpInfo] = "x" })); // 3 before 4
        Assert.Equal(LlmStatus.FeatureNotEnabled, await disabled.SetRoleAsync(LlmRole.Prompt, NoOptions));                                                    // 4 before 6

        var pair = await LinkedPairAsync(h, (LlmOptionKeys.EnableSwitchRole, "1"));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Prompt.SetRoleAsync(LlmRole.Prompt, NoOptions));  // 6 before 7
        Assert.Equal(LlmStatus.ExistLink, await pair.Prompt.SetRoleAsync(LlmRole.Decoder, NoOptions));   // a server-side link counts too
        Assert.Equal(LlmStatus.ExistLink, await pair.Decoder.SetRoleAsync(LlmRole.Decoder, NoOptions));
        Assert.Equal(LlmStatus.Success, (await pair.Prompt.UnlinkLlmClustersAsync([ToDecoder()], 1000, false)).Status);
        Assert.Equal(LlmStatus.Success, await pair.Prompt.SetRoleAsync(LlmRole.Prompt, new Dictionary<string, string> { [LlmOptionKeys.ListenIpInfo] = PromptListen })); // same role allowed
    });

    [Fact]
    public void HX_SetRole_checks_role_and_listen_text_before_links() => Scenario(ConformanceProfile.HX, async h =>
    {
        var pair = await LinkedPairAsync(h);
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.SetRoleAsync((LlmRole)7, NoOptions));
        Assert.Equal(LlmStatus.ParamInvalid, await pair.Decoder.SetRoleAsync(LlmRole.Mix, new Dictionary<string, string> { [LlmOptionKeys.ListenIpInfo] = "10.0.0.2" }));
        Assert.Equal(LlmStatus.ExistLink, await pair.Decoder.SetRoleAsync(LlmRole.Mix, NoOptions));
        Assert.Equal(LlmStatus.ExistLink, await pair.Prompt.SetRoleAsync(LlmRole.Prompt, NoOptions)); // no EnableSwitchRole needed on HX
    });

    [Fact]
    public void HX_SetRole_moves_starts_and_stops_the_listener_by_port() => Scenario(ConformanceProfile.HX, async h =>
    {
        var pair = await InitializedPairAsync(h);
        var other = (ushort)(PromptPort + 1);
        Dictionary<string, string> Listen(string ip, ushort port) => new() { [LlmOptionKeys.ListenIpInfo] = $"{ip}:{port}" };
        async Task<LlmStatus> LinkAsync(string ip, ushort port)
        {
            var result = await pair.Decoder.LinkLlmClustersAsync([ToPrompt(remoteIp: ip, port: port)], 1000);
            if (result.Status == LlmStatus.Success)
            {
                Assert.Equal(LlmStatus.Success, (await pair.Decoder.UnlinkLlmClustersAsync([ToPrompt()], 1000, true)).Status);
                Assert.Equal(LlmStatus.Success, (await pair.Prompt.UnlinkLlmClustersAsync([ToDecoder()], 1000, true)).Status);
            }

            return result.Status;
        }

        // Same port, another IP: nothing changes (a quirk of the engine).
        Assert.Equal(LlmStatus.Success, await pair.Prompt.SetRoleAsync(LlmRole.Prompt, Listen("10.0.0.9", PromptPort)));
        Assert.Equal(LlmStatus.LinkFailed, await LinkAsync("10.0.0.9", PromptPort));
        Assert.Equal(LlmStatus.Success, await LinkAsync(PromptIp, PromptPort));
        // Another port: the listener moves.
        Assert.Equal(LlmStatus.Success, await pair.Prompt.SetRoleAsync(LlmRole.Mix, Listen(PromptIp, other)));
        Assert.Equal(LlmStatus.LinkFailed, await LinkAsync(PromptIp, PromptPort));
        Assert.Equal(LlmStatus.Success, await LinkAsync(PromptIp, other));
        // No listen option: it stops; given again: it starts (a Prompt may stop listening, any role may listen).
        Assert.Equal(LlmStatus.Success, await pair.Prompt.SetRoleAsync(LlmRole.Prompt, NoOptions));
        Assert.Equal(LlmStatus.LinkFailed, await LinkAsync(PromptIp, other));
        Assert.Equal(LlmStatus.Success, await pair.Prompt.SetRoleAsync(LlmRole.Decoder, Listen(PromptIp, PromptPort)));
        Assert.Equal(LlmStatus.Success, await LinkAsync(PromptIp, PromptPort));
    });

    [Fact]
    public void HX_a_listener_started_by_SetRole_cannot_accept_links_without_a_communication_description() => Scenario(ConformanceProfile.HX, async h =>
    {
        var late = h.Create(PromptId, LlmRole.Decoder, PromptServer);
        var described = h.Create(3, LlmRole.Decoder, PromptServer);
        var decoder = h.Create(DecoderId, LlmRole.Decoder, DecoderServer);
        Assert.Equal(LlmStatus.Success, await late.InitializeAsync(Options()));
        Assert.Equal(LlmStatus.Success, await described.InitializeAsync(Options(1, null, (LlmOptionKeys.LocalCommRes, "{\"version\": \"1.2\"}"))));
        Assert.Equal(LlmStatus.Success, await decoder.InitializeAsync(Options()));
        Assert.Equal(LlmStatus.Success, await late.SetRoleAsync(LlmRole.Prompt, new Dictionary<string, string> { [LlmOptionKeys.ListenIpInfo] = PromptListen }));
        Assert.Equal(LlmStatus.Success, await described.SetRoleAsync(LlmRole.Prompt, new Dictionary<string, string> { [LlmOptionKeys.ListenIpInfo] = $"{PromptIp}:{PromptPort + 1}" }));
        var result = await decoder.LinkLlmClustersAsync([ToPrompt(), ToPrompt(remoteId: 3, port: PromptPort + 1)], 1000);
        Assert.Equal([LlmStatus.LinkFailed, LlmStatus.Success], result.Rets);
        Assert.Equal(LlmStatus.Success, await late.SetRoleAsync(LlmRole.Mix, NoOptions)); // it kept no record
    });
}
