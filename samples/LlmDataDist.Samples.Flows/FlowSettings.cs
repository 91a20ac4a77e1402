using System.Net;

namespace LlmDataDist.Samples.Flows;

/// <summary>Who is where: cluster ids, device ids, device IPs and listen ports of the two instances.</summary>
/// <param name="PromptDevice">The prompt's device id (llm.DeviceId).</param>
/// <param name="DecoderDevice">The decoder's device id.</param>
/// <param name="PromptIp">The prompt's device IP (on Atlas: <c>hccn_tool -i N -ip -g</c>).</param>
/// <param name="DecoderIp">The decoder's device IP.</param>
/// <param name="Port">The listen port of whichever instance listens.</param>
public sealed record FlowSettings(int PromptDevice = 0, int DecoderDevice = 1, string PromptIp = "10.0.0.1", string DecoderIp = "10.0.0.2", ushort Port = 26000)
{
    public const ulong PromptId = 1;
    public const ulong DecoderId = 2;

    /// <summary>The budget of every pull and push (llm.SyncKvCacheWaitTime).</summary>
    public static TimeSpan TransferWait { get; } = TimeSpan.FromSeconds(10);

    public IPEndPoint PromptEndpoint => new(IPAddress.Parse(PromptIp), Port);

    public IPEndPoint DecoderEndpoint => new(IPAddress.Parse(DecoderIp), Port);

    /// <summary>The decoder's view of the prompt (the decoder links as client).</summary>
    public ClusterInfo DecoderToPrompt => new(PromptId, LlmRole.Prompt, [new IpInfo(DecoderIp, 0)], [new IpInfo(PromptIp, Port)]);

    /// <summary>The view of the decoder from the prompt (after a role switch: the new decoder's view of the new prompt).</summary>
    public ClusterInfo PromptToDecoder => new(DecoderId, LlmRole.Decoder, [new IpInfo(PromptIp, 0)], [new IpInfo(DecoderIp, Port)]);

    public LlmDataDistOptions PromptOptions(bool switchRole = false, long? poolBytes = null) =>
        new() { DeviceId = PromptDevice, ListenIpInfo = PromptEndpoint, SyncKvCacheWaitTime = TransferWait, EnableSwitchRole = switchRole ? true : null, BufPoolCfg = Pool(poolBytes) };

    public LlmDataDistOptions DecoderOptions(bool switchRole = false, long? poolBytes = null) =>
        new() { DeviceId = DecoderDevice, SyncKvCacheWaitTime = TransferWait, EnableSwitchRole = switchRole ? true : null, BufPoolCfg = Pool(poolBytes) };

    private static string? Pool(long? bytes) => bytes is { } b ? $"{{\"buf_pool_size\": {b}}}" : null;
}
