namespace LlmDataDist.Simulator;

/// <summary>Whether the two devices of a transfer sit in one server or in two (on A3, two servers of one super-node
/// for HCCS).</summary>
public enum LinkScope
{
    /// <summary>Both devices in one server; CSV value <c>one-server</c>.</summary>
    OneServer,

    /// <summary>The devices in two servers; CSV value <c>two-servers</c>.</summary>
    TwoServers,
}
