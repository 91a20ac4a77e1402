namespace LlmDataDist.Simulator.Semantics;

/// <summary>What Initialize took from its option map, after validation.</summary>
/// <param name="DeviceIds">The device ids (CE may list several; HX exactly one).</param>
/// <param name="Listen">The listen endpoints (one per device on CE), empty when not listening.</param>
/// <param name="SyncWaitMs">llm.SyncKvCacheWaitTime: the transfer (CE: every device request) budget in ms.</param>
/// <param name="EnableSwitchRole">CE llm.EnableSwitchRole.</param>
/// <param name="BufPoolBytes">CE llm.BufPoolCfg buf_pool_size, or null for the engine default.</param>
/// <param name="HixlBackend">HX llm.TransferBackend = "hixl".</param>
/// <param name="HasLocalCommRes">HX: whether llm.LocalCommRes was given.</param>
public sealed record InitOptions(IReadOnlyList<int> DeviceIds, IReadOnlyList<(string Host, long Port)> Listen, long SyncWaitMs,
    bool EnableSwitchRole, long? BufPoolBytes, bool HixlBackend, bool HasLocalCommRes);
