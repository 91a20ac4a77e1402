namespace LlmDataDist.Simulator;

/// <summary>The software path a transfer takes through the engine; each prices blocks and bytes differently.</summary>
public enum TransferPath
{
    /// <summary>The HIXL client/server engine (HX with <c>llm.TransferBackend="hixl"</c>); CSV value <c>hixl_cs</c>.</summary>
    HixlCs,

    /// <summary>The HCCL communicator ("comm domain"): CE, and HX with its default backend; CSV value <c>comm_domain</c>.</summary>
    CommDomain,
}
