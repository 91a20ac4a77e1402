using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Simulator.Tests.Semantics;

// Reference §7 and §9.3: option rules per engine.
public class OptionRulesTests
{
    private static LlmStatus Init(EngineProfile profile, LlmRole role, params (string Key, string Value)[] options) =>
        OptionRules.ParseInitialize(profile, role, options.ToDictionary(o => o.Key, o => o.Value), out _);

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("1a")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData("2147483648")]
    public void Device_id_must_be_a_non_negative_int32_in_decimal(string text)
    {
        Assert.Equal(LlmStatus.ParamInvalid, Init(EngineProfile.CE, LlmRole.Decoder, ("llm.DeviceId", text)));
        Assert.Equal(LlmStatus.ParamInvalid, Init(EngineProfile.HX, LlmRole.Decoder, ("llm.DeviceId", text)));
    }

    [Fact]
    public void Device_id_is_required_and_a_list_is_ce_only()
    {
        Assert.Equal(LlmStatus.ParamInvalid, Init(EngineProfile.CE, LlmRole.Decoder));
        Assert.Equal(LlmStatus.Success, Init(EngineProfile.CE, LlmRole.Decoder, ("llm.DeviceId", "0;1")));
        Assert.Equal(LlmStatus.ParamInvalid, Init(EngineProfile.HX, LlmRole.Decoder, ("llm.DeviceId", "0;1")));
    }

    [Fact]
    public void Role_is_checked_before_options()
    {
        Assert.Equal(LlmStatus.ParamInvalid, Init(EngineProfile.CE, LlmRole.End, ("llm.DeviceId", "0")));
        Assert.Equal(LlmStatus.ParamInvalid, Init(EngineProfile.HX, (LlmRole)0, ("llm.DeviceId", "0")));
    }

    [Fact]
    public void Ce_prompt_needs_a_listen_endpoint_hx_does_not()
    {
        Assert.Equal(LlmStatus.ParamInvalid, Init(EngineProfile.CE, LlmRole.Prompt, ("llm.DeviceId", "0")));
        Assert.Equal(LlmStatus.Success, Init(EngineProfile.HX, LlmRole.Prompt, ("llm.DeviceId", "0")));
        Assert.Equal(LlmStatus.Success, Init(EngineProfile.CE, LlmRole.Prompt, ("llm.DeviceId", "0"), ("llm.ListenIpInfo", "10.0.0.1:26000")));
    }

    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("10.0.0.1:")]
    [InlineData("10.0.0.1:x")]
    [InlineData("10.0.0:26000")]
    [InlineData("10.0.0.1:1:2")]
    [InlineData("10.0.0.1:4294967296")]
    public void Listen_endpoint_needs_ipv4_one_colon_and_a_32_bit_port(string text) =>
        Assert.Equal(LlmStatus.ParamInvalid, Init(EngineProfile.CE, LlmRole.Prompt, ("llm.DeviceId", "0"), ("llm.ListenIpInfo", text)));

    [Fact]
    public void Ipv6_listen_is_hx_only()
    {
        Assert.Equal(LlmStatus.Success, Init(EngineProfile.HX, LlmRole.Prompt, ("llm.DeviceId", "0"), ("llm.ListenIpInfo", "[::1]:26000")));
        Assert.Equal(LlmStatus.ParamInvalid, Init(EngineProfile.CE, LlmRole.Prompt, ("llm.DeviceId", "0"), ("llm.ListenIpInfo", "[::1]:26000")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{}")]
    [InlineData("{\"buf_pool_size\": 0}")]
    [InlineData("{\"buf_pool_size\": -1}")]
    [InlineData("{\"buf_pool_size\": \"1024\"}")]
    public void Ce_rejects_malformed_buffer_pool_configs(string json) =>
        Assert.Equal(LlmStatus.ParamInvalid, Init(EngineProfile.CE, LlmRole.Decoder, ("llm.DeviceId", "0"), ("llm.BufPoolCfg", json)));

    /// <summary>The docs' buf_cfg tier rules (§7); the engine's status for a violation is unconfirmed (§13.5), the
    /// simulator answers PARAM_INVALID as the reference recommends.</summary>
    [Theory]
    [InlineData("{\"buf_cfg\": [{\"total_size\": 4194304, \"blk_size\": 256, \"max_buf_size\": 1024}]}", true)]
    [InlineData("{\"buf_pool_size\": 8388608, \"buf_cfg\": [{\"total_size\": 4194304, \"blk_size\": 256, \"max_buf_size\": 1024}, {\"total_size\": 2097152, \"blk_size\": 1024, \"max_buf_size\": 4096}]}", true)]
    [InlineData("{\"buf_cfg\": [{\"total_size\": 4194305, \"blk_size\": 256, \"max_buf_size\": 1024}]}", false)] // not a multiple of 2 MiB
    [InlineData("{\"buf_cfg\": [{\"total_size\": 4194304, \"blk_size\": 384, \"max_buf_size\": 1024}]}", false)] // not a power of two
    [InlineData("{\"buf_cfg\": [{\"total_size\": 4194304, \"blk_size\": 4194304, \"max_buf_size\": 8388608}]}", false)] // block over 2 MiB
    [InlineData("{\"buf_cfg\": [{\"total_size\": 4194304, \"blk_size\": 2048, \"max_buf_size\": 1024}]}", false)] // block over max
    [InlineData("{\"buf_cfg\": [{\"total_size\": 2097152, \"blk_size\": 256, \"max_buf_size\": 2097152}]}", false)] // max not below total
    [InlineData("{\"buf_cfg\": [{\"total_size\": 4194304, \"blk_size\": 256, \"max_buf_size\": 1024}, {\"total_size\": 4194304, \"blk_size\": 256, \"max_buf_size\": 1024}]}", false)] // max not increasing
    [InlineData("{\"buf_cfg\": [{\"total_size\": 8589934592, \"blk_size\": 256, \"max_buf_size\": 1024}]}", false)] // total over 0xFFFFFFFF
    [InlineData("{\"buf_cfg\": {}}", false)]
    [InlineData("[]", false)]
    [InlineData("{\"other\": 1}", false)]
    public void Ce_buffer_pool_tiers_follow_the_documented_rules(string json, bool ok) =>
        Assert.Equal(ok ? LlmStatus.Success : LlmStatus.ParamInvalid, Init(EngineProfile.CE, LlmRole.Decoder, ("llm.DeviceId", "0"), ("llm.BufPoolCfg", json)));

    [Fact]
    public void Ce_buffer_pool_without_a_size_keeps_the_default_pool()
    {
        OptionRules.ParseInitialize(EngineProfile.CE, LlmRole.Decoder, new Dictionary<string, string>
        {
            ["llm.DeviceId"] = "0",
            ["llm.BufPoolCfg"] = "{\"buf_cfg\": [{\"total_size\": 4194304, \"blk_size\": 256, \"max_buf_size\": 1024}]}",
        }, out var parsed);
        Assert.Null(parsed!.BufPoolBytes);
    }

    [Fact]
    public void Hx_ignores_the_buffer_pool_and_switch_role_options()
    {
        Assert.Equal(LlmStatus.Success, Init(EngineProfile.HX, LlmRole.Decoder, ("llm.DeviceId", "0"), ("llm.BufPoolCfg", "{"), ("llm.EnableSwitchRole", "yes")));
        Assert.Equal(LlmStatus.ParamInvalid, Init(EngineProfile.CE, LlmRole.Decoder, ("llm.DeviceId", "0"), ("llm.EnableSwitchRole", "yes")));
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("1.5", false)]
    [InlineData("-1", false)]
    [InlineData("0", true)]
    [InlineData("2000", true)]
    public void Wait_time_is_decimal_digits_only(string text, bool ok)
    {
        var status = OptionRules.ParseInitialize(EngineProfile.CE, LlmRole.Decoder,
            new Dictionary<string, string> { ["llm.DeviceId"] = "0", ["llm.SyncKvCacheWaitTime"] = text }, out var parsed);
        Assert.Equal(ok ? LlmStatus.Success : LlmStatus.ParamInvalid, status);
        if (ok)
        {
            Assert.Equal(long.Parse(text, System.Globalization.CultureInfo.InvariantCulture), parsed!.SyncWaitMs);
        }
    }

    [Fact]
    public void Hx_hixl_backend_needs_a_listen_endpoint_and_no_other_backend_name_exists()
    {
        Assert.Equal(LlmStatus.ParamInvalid, Init(EngineProfile.HX, LlmRole.Prompt, ("llm.DeviceId", "0"), ("llm.TransferBackend", "hixl")));
        Assert.Equal(LlmStatus.ParamInvalid, Init(EngineProfile.HX, LlmRole.Prompt, ("llm.DeviceId", "0"), ("llm.ListenIpInfo", "10.0.0.1:1"), ("llm.TransferBackend", "hccl")));
        Assert.Equal(LlmStatus.Success, Init(EngineProfile.HX, LlmRole.Prompt, ("llm.DeviceId", "0"), ("llm.ListenIpInfo", "10.0.0.1:1"), ("llm.TransferBackend", "hixl")));
    }
}
