using Microsoft.Extensions.Options;

namespace LlmDataDist.Hosting;

/// <summary>Checks the host options when the host starts, so a bad configuration stops the application with the
/// rule it breaks instead of failing at the first call.</summary>
internal sealed class LlmDataDistOptionsValidator(IOptions<LlmDataDistBackendRegistry> backends) : IValidateOptions<LlmDataDistHostOptions>
{
    public ValidateOptionsResult Validate(string? name, LlmDataDistHostOptions options)
    {
        var failures = new List<string>();
        var registry = backends.Value;
        if (!registry.Contains(options.Backend))
        {
            failures.Add($"LlmDataDist:Backend '{options.Backend}' is not registered (registered: {string.Join(", ", registry.Names)}); "
                + "a backend package registers itself with AddLlmDataDist(...).AddBackend(name, factory).");
        }

        if (!Enum.IsDefined(options.Role))
        {
            failures.Add($"LlmDataDist:Role {options.Role} is not a role (Prompt, Decoder, Mix).");
        }

        if (options.Initialize.DeviceId is null)
        {
            failures.Add("LlmDataDist:Initialize:DeviceId is required (llm.DeviceId): every engine rejects Initialize without it.");
        }

        try
        {
            options.Initialize.ToNativeOptions();
        }
        catch (ArgumentException ex)
        {
            failures.Add("LlmDataDist:Initialize: " + ex.Message);
        }

        if (options.LinkTimeout <= TimeSpan.Zero || options.LinkTimeout.TotalMilliseconds > int.MaxValue)
        {
            failures.Add($"LlmDataDist:LinkTimeout {options.LinkTimeout} must be positive and fit int32 milliseconds.");
        }

        for (var i = 0; i < options.Peers.Count; i++)
        {
            var peer = options.Peers[i];
            if (peer.RemoteIpInfos.Count == 0)
            {
                failures.Add($"LlmDataDist:Peers:{i} (cluster {peer.RemoteClusterId}) has no RemoteIpInfos: name the peer's listen endpoint.");
            }
        }

        var resilience = options.Resilience;
        if (resilience.MaxRetryAttempts < 0 || resilience.Delay < TimeSpan.Zero)
        {
            failures.Add("LlmDataDist:Resilience: MaxRetryAttempts and Delay must not be negative.");
        }

        foreach (var status in resilience.RetryStatuses.Where(s => !s.IsRecoverable()))
        {
            failures.Add($"LlmDataDist:Resilience:RetryStatuses: the documentation calls {status} unrecoverable; retrying it cannot help.");
        }

        var simulator = options.Simulator;
        if (string.Equals(options.Backend, SimulatorBackend.Name, StringComparison.OrdinalIgnoreCase)
            && (simulator.Servers < 1 || simulator.Server < 0 || simulator.Server >= simulator.Servers))
        {
            failures.Add($"LlmDataDist:Simulator: Server {simulator.Server} must be one of the {simulator.Servers} servers.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
