using Microsoft.Extensions.Logging;

namespace LlmDataDist.Hosting;

/// <summary>The host's log messages (source-generated: no formatting or boxing when the level is off).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "LlmDataDist instance {ClusterId} ({Role}) initialized on the {Backend} backend")]
    public static partial void Initialized(ILogger logger, ulong clusterId, LlmRole role, string backend);

    [LoggerMessage(2, LogLevel.Critical, "LlmDataDist instance {ClusterId} ({Role}) failed to initialize on the {Backend} backend")]
    public static partial void InitializeFailed(ILogger logger, Exception exception, ulong clusterId, LlmRole role, string backend);

    [LoggerMessage(3, LogLevel.Information, "Link to cluster {PeerId}: {LinkState} ({Status})")]
    public static partial void Linked(ILogger logger, ulong peerId, LlmLinkState linkState, LlmStatus status);

    [LoggerMessage(4, LogLevel.Error, "Link to cluster {PeerId} failed with {Status}")]
    public static partial void LinkFailed(ILogger logger, Exception exception, ulong peerId, LlmStatus status);

    [LoggerMessage(5, LogLevel.Warning, "Link to cluster {PeerId} is broken ({Status}): recovering (force-unlink both sides, link again)")]
    public static partial void LinkBroken(ILogger logger, ulong peerId, LlmStatus status);

    [LoggerMessage(6, LogLevel.Information, "Recovering the link to cluster {PeerId}")]
    public static partial void RecoveringLink(ILogger logger, ulong peerId);

    [LoggerMessage(7, LogLevel.Information, "Force-unlinked cluster {PeerId} locally: {Results}")]
    public static partial void ForceUnlinked(ILogger logger, ulong peerId, string results);

    [LoggerMessage(8, LogLevel.Warning, "{Operation} failed with {Status}; retry {Attempt} in {Delay}")]
    public static partial void Retrying(ILogger logger, string operation, LlmStatus status, int attempt, TimeSpan delay);

    [LoggerMessage(9, LogLevel.Information, "Unlinked on stop: {Results}")]
    public static partial void Unlinked(ILogger logger, string results);

    [LoggerMessage(10, LogLevel.Information, "LlmDataDist instance {ClusterId} finalized")]
    public static partial void Stopped(ILogger logger, ulong clusterId);
}
