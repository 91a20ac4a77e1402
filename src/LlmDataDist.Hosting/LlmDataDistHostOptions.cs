using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Hosting;

/// <summary>
/// The hosted instance: who it is, which backend it runs on, what Initialize gets and which peers it links to at
/// start. Bound from the <c>LlmDataDist</c> configuration section and validated when the host starts.
/// </summary>
public sealed class LlmDataDistHostOptions
{
    /// <summary>The configuration section <c>AddLlmDataDist(configuration)</c> binds.</summary>
    public const string SectionName = "LlmDataDist";

    /// <summary>This instance's cluster id, unique among everything that links.</summary>
    public ulong ClusterId { get; set; }

    /// <summary>This instance's role.</summary>
    public LlmRole Role { get; set; } = LlmRole.Decoder;

    /// <summary>The backend, by the name it was registered under: <c>simulator</c> (built in) or, for example,
    /// <c>ascend</c> once the Ascend package registered it with <see cref="LlmDataDistBuilder.AddBackend"/>.</summary>
    public string Backend { get; set; } = SimulatorBackend.Name;

    /// <summary>The options of Initialize (<c>DeviceId</c>, <c>ListenIpInfo</c> as <c>ip:port</c>, …).</summary>
    public LlmDataDistOptions Initialize { get; set; } = new();

    /// <summary>Peers this instance links to (as client) when it starts, and relinks after a broken link.</summary>
    public IList<ClusterInfo> Peers { get; } = [];

    /// <summary>timeout_in_millis of every Link and Unlink the host makes.</summary>
    public TimeSpan LinkTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Retries and link recovery of calls made through <see cref="LlmDataDistInstance.ExecuteAsync"/>.</summary>
    public LlmDataDistResilienceOptions Resilience { get; set; } = new();

    /// <summary>The simulated deployment, when <see cref="Backend"/> is <c>simulator</c>.</summary>
    public SimulatorBackendOptions Simulator { get; set; } = new();
}

/// <summary>Which failures a call made through the hosted instance survives, and how.</summary>
public sealed class LlmDataDistResilienceOptions
{
    /// <summary>Retries after the first attempt; 0 turns retries and recovery off.</summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>The delay before the first retry; later retries back off exponentially.</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Statuses retried as they are: each must be one the documentation calls recoverable
    /// (<c>LlmStatus.IsRecoverable()</c>, from the annotations), whose advice is to retry.</summary>
    public IList<LlmStatus> RetryStatuses { get; } = [LlmStatus.ProcessingLink, LlmStatus.LinkBusy, LlmStatus.LinkFailed];

    /// <summary>Statuses of a transfer that mean the link is broken: the reference's recovery (§6.5: force-unlink
    /// both sides, link again) runs before the retry.</summary>
    public IList<LlmStatus> RecoverLinkStatuses { get; } = [LlmStatus.WaitProcTimeout, LlmStatus.Timeout];
}

/// <summary>The simulated deployment the <c>simulator</c> backend runs on.</summary>
public sealed class SimulatorBackendOptions
{
    /// <summary>The seed of every random decision of the simulated world.</summary>
    public ulong Seed { get; set; } = 1;

    /// <summary>Atlas 800I A2 servers in the world (8 NPUs each).</summary>
    public int Servers { get; set; } = 2;

    /// <summary>The server this instance runs on; <c>DeviceId</c> names one of its NPUs.</summary>
    public int Server { get; set; }

    /// <summary>The engine the simulator reproduces.</summary>
    public EngineProfile Profile { get; set; } = EngineProfile.CE;
}
