using System.Globalization;
using System.Text.Json;

namespace LlmDataDist.Simulator.Semantics;

/// <summary>
/// Initialize's and SetRole's option rules (reference §7, §9.3), per engine, in the engines' order: the first rule
/// that fails decides the status. Values are the raw strings a native caller passes, so bad text is reachable
/// even though the typed client never produces it.
/// </summary>
public static class OptionRules
{
    /// <summary>The engines' default for llm.SyncKvCacheWaitTime.</summary>
    public const long SyncWaitMsDefault = 1000;

    /// <summary>Validates Initialize's options (role first, as both engines do).</summary>
    /// <param name="profile">The engine.</param>
    /// <param name="role">The constructor's role.</param>
    /// <param name="options">The option map.</param>
    /// <param name="parsed">The parsed options, on success.</param>
    /// <returns>SUCCESS or PARAM_INVALID.</returns>
    public static LlmStatus ParseInitialize(EngineProfile profile, LlmRole role, IReadOnlyDictionary<string, string> options, out InitOptions? parsed)
    {
        ArgumentNullException.ThrowIfNull(options);
        parsed = null;
        if (!IsRole(role))
        {
            return LlmStatus.ParamInvalid;
        }

        if (!options.TryGetValue(LlmOptionKeys.DeviceId, out var deviceText) || !TryParseDeviceIds(deviceText, profile == EngineProfile.CE, out var deviceIds))
        {
            return LlmStatus.ParamInvalid;
        }

        var listen = new List<(string, long)>();
        var hasListen = options.TryGetValue(LlmOptionKeys.ListenIpInfo, out var listenText);
        if (profile == EngineProfile.CE)
        {
            if (role == LlmRole.Prompt && !hasListen)
            {
                return LlmStatus.ParamInvalid;
            }

            // §9.3 checks the listen endpoint "for Prompt" only: other roles ignore the option, malformed or not.
            if (role == LlmRole.Prompt && hasListen && !TryParseListenList(listenText!, allowIpv6: false, listen))
            {
                return LlmStatus.ParamInvalid;
            }

            long? pool = null;
            if (options.TryGetValue(LlmOptionKeys.BufPoolCfg, out var poolText) && !TryParseBufPoolCfg(poolText, out pool))
            {
                return LlmStatus.ParamInvalid;
            }

            var switchRole = false;
            if (options.TryGetValue(LlmOptionKeys.EnableSwitchRole, out var switchText))
            {
                if (switchText is not ("0" or "1"))
                {
                    return LlmStatus.ParamInvalid;
                }

                switchRole = switchText == "1";
            }

            if (!TryParseWait(options, out var waitMs))
            {
                return LlmStatus.ParamInvalid;
            }

            parsed = new InitOptions(deviceIds, listen, waitMs, switchRole, pool, HixlBackend: false, HasLocalCommRes: false);
            return LlmStatus.Success;
        }

        if (hasListen && !TryParseListenList(listenText!, allowIpv6: true, listen))
        {
            return LlmStatus.ParamInvalid;
        }

        var hixl = false;
        if (options.TryGetValue(LlmOptionKeys.TransferBackend, out var backendText))
        {
            if (backendText != "hixl" || !hasListen)
            {
                return LlmStatus.ParamInvalid;
            }

            hixl = true;
        }

        if (!TryParseWait(options, out var hxWaitMs))
        {
            return LlmStatus.ParamInvalid;
        }

        foreach (var key in (string[])["llm.RdmaTrafficClass", "llm.RdmaServiceLevel"])
        {
            if (options.TryGetValue(key, out var text) && !uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                return LlmStatus.ParamInvalid;
            }
        }

        if (hixl && options.TryGetValue(LlmOptionKeys.GlobalResourceConfig, out var globalText) && !IsJson(globalText))
        {
            return LlmStatus.Failed;
        }

        parsed = new InitOptions(deviceIds, listen, hxWaitMs, EnableSwitchRole: true, BufPoolBytes: null, hixl, options.ContainsKey(LlmOptionKeys.LocalCommRes));
        return LlmStatus.Success;
    }

    /// <summary>Prompt, Decoder or Mix; kEnd and out-of-range values are not roles.</summary>
    /// <param name="role">The role.</param>
    /// <returns>Whether it is a role.</returns>
    public static bool IsRole(LlmRole role) => role is LlmRole.Prompt or LlmRole.Decoder or LlmRole.Mix;

    /// <summary>SetRole reads only llm.ListenIpInfo; a malformed one is PARAM_INVALID whatever the target role.</summary>
    /// <param name="profile">The engine.</param>
    /// <param name="options">The option map.</param>
    /// <param name="listen">The parsed endpoints.</param>
    /// <returns>Whether the listen option (if any) parsed.</returns>
    public static bool TryParseSetRoleListen(EngineProfile profile, IReadOnlyDictionary<string, string> options, out List<(string Host, long Port)> listen)
    {
        ArgumentNullException.ThrowIfNull(options);
        listen = [];
        return !options.TryGetValue(LlmOptionKeys.ListenIpInfo, out var text) || TryParseListenList(text, profile == EngineProfile.HX, listen);
    }

    private static bool TryParseDeviceIds(string text, bool allowList, out List<int> ids)
    {
        ids = [];
        var parts = text.Split(';');
        if (parts.Length > 1 && !allowList)
        {
            return false;
        }

        foreach (var part in parts)
        {
            // Decimal digits only: empty, signs, trailing junk and values over INT32_MAX are all rejected.
            if (part.Length == 0 || !part.All(char.IsAsciiDigit) || !int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                return false;
            }

            ids.Add(id);
        }

        return true;
    }

    private static bool TryParseListenList(string text, bool allowIpv6, List<(string, long)> listen)
    {
        foreach (var part in text.Split(';'))
        {
            if (!IpText.TryParseListen(part, allowIpv6, out var endpoint))
            {
                return false;
            }

            listen.Add(endpoint);
        }

        return listen.Count > 0;
    }

    private static bool TryParseWait(IReadOnlyDictionary<string, string> options, out long waitMs)
    {
        waitMs = SyncWaitMsDefault;
        if (!options.TryGetValue(LlmOptionKeys.SyncKvCacheWaitTime, out var text))
        {
            return true;
        }

        return text.Length > 0 && text.All(char.IsAsciiDigit) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out waitMs);
    }

    /// <summary>One place for every llm.BufPoolCfg rule of §7.</summary>
    /// <remarks>
    /// The engine rejects: an empty string, invalid JSON, <c>{}</c>, and a <c>buf_pool_size</c> that is not a positive
    /// integer that fits (0, negative, fractional, a string, too large). A value with <c>buf_cfg</c> and no
    /// <c>buf_pool_size</c> is accepted: the pool keeps its default size. The <c>buf_cfg</c> tier rules are the docs'
    /// (the engine's statuses for them are unconfirmed, §13.5): the simulator answers PARAM_INVALID as the reference
    /// recommends. Choices where the reference is silent: a JSON value that is not an object, or an object with neither
    /// key, is rejected like <c>{}</c>.
    /// </remarks>
    /// <param name="text">The option's value.</param>
    /// <param name="poolBytes">buf_pool_size, or null for the engine default.</param>
    /// <returns>Whether the value is accepted.</returns>
    private static bool TryParseBufPoolCfg(string text, out long? poolBytes)
    {
        poolBytes = null;
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            var hasSize = root.TryGetProperty("buf_pool_size", out var size);
            var hasTiers = root.TryGetProperty("buf_cfg", out var tiers);
            if (!hasSize && !hasTiers)
            {
                return false;
            }

            if (hasSize)
            {
                if (size.ValueKind != JsonValueKind.Number || !size.TryGetInt64(out var bytes) || bytes <= 0)
                {
                    return false;
                }

                poolBytes = bytes;
            }

            return !hasTiers || AreValidTiers(tiers);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The docs' buf_cfg rules: total_size a multiple of 2 MiB and of blk_size, at most 0xFFFFFFFF; blk_size a
    /// power of two in (0, 2 MiB] and at most max_buf_size; max_buf_size below total_size and strictly increasing.</summary>
    private static bool AreValidTiers(JsonElement tiers)
    {
        const long TwoMiB = 2L << 20;
        if (tiers.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        long previousMax = -1;
        foreach (var tier in tiers.EnumerateArray())
        {
            if (tier.ValueKind != JsonValueKind.Object
                || !TryGetCount(tier, "total_size", out var total) || !TryGetCount(tier, "blk_size", out var block) || !TryGetCount(tier, "max_buf_size", out var max))
            {
                return false;
            }

            var blockOk = block > 0 && block <= TwoMiB && (block & (block - 1)) == 0 && block <= max;
            var totalOk = total % TwoMiB == 0 && total % Math.Max(block, 1) == 0 && total <= uint.MaxValue;
            if (!blockOk || !totalOk || max >= total || max <= previousMax)
            {
                return false;
            }

            previousMax = max;
        }

        return true;
    }

    private static bool TryGetCount(JsonElement tier, string name, out long value)
    {
        value = 0;
        return tier.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out value) && value >= 0;
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
