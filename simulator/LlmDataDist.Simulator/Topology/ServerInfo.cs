namespace LlmDataDist.Simulator;

/// <summary>One server.</summary>
/// <param name="Index">Index in <see cref="Topology.Servers"/>.</param>
/// <param name="Model">Free-form model name, e.g. <c>Atlas 800I A2</c>.</param>
/// <param name="HostMemoryBytes">Host (CPU) memory capacity.</param>
/// <param name="HccsDomain">NPUs of servers with the same domain reach each other over HCCS (a server on A2, a
/// super-node on A3); others need RoCE.</param>
public sealed record ServerInfo(int Index, string Model, long HostMemoryBytes, int HccsDomain);
