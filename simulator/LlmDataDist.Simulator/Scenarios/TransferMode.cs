namespace LlmDataDist.Simulator.Scenarios;

/// <summary>How a scenario moves a request's KV from its prompt to its decoder.</summary>
public enum TransferMode
{
    /// <summary>The decoder pulls the request's blocks (PullKvBlocks).</summary>
    PullBlocks,

    /// <summary>The prompt pushes the request's blocks into the decoder's (PushKvBlocks).</summary>
    PushBlocks,

    /// <summary>The decoder pulls the request's cache row (PullKvCache); the pool is laid out as one row per request.</summary>
    PullCache,

    /// <summary>The prompt pushes the request's cache row (PushKvCache, always a whole row); one row per request.</summary>
    PushCache,
}
