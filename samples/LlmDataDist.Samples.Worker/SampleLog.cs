using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LlmDataDist.Samples.Worker;

internal static partial class SampleLog
{
    [LoggerMessage(100, LogLevel.Information, "Simulated prompt {ClusterId} listens on {Endpoint} with cache {CacheId} ({Blocks} blocks)")]
    public static partial void PromptReady(ILogger logger, ulong clusterId, string endpoint, long cacheId, int blocks);

    [LoggerMessage(101, LogLevel.Information, "Simulated prompt force-unlinked its side: {Results}")]
    public static partial void PromptUnlinked(ILogger logger, string results);

    [LoggerMessage(102, LogLevel.Warning, "Request {Request}: the prompt drops its side of the link (as a restart would)")]
    public static partial void BreakingLink(ILogger logger, int request);

    [LoggerMessage(103, LogLevel.Information, "Request {Request}: pulled prompt blocks [{Blocks}] -> {Result}")]
    public static partial void Pulled(ILogger logger, int request, string blocks, string result);

    [LoggerMessage(104, LogLevel.Information, "Health {Check}: {Status} - {Description} [{Data}]")]
    public static partial void Health(ILogger logger, string check, HealthStatus status, string? description, string data);
}
