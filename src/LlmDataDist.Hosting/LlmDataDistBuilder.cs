using Microsoft.Extensions.DependencyInjection;

namespace LlmDataDist.Hosting;

/// <summary>Returned by <c>AddLlmDataDist</c>: registers backends the configuration can choose by name.</summary>
/// <param name="services">The services.</param>
public sealed class LlmDataDistBuilder(IServiceCollection services)
{
    /// <summary>The services.</summary>
    public IServiceCollection Services { get; } = services;

    /// <summary>Registers a backend under a name (<c>LlmDataDist:Backend</c> selects it). A native backend package
    /// calls this from its own extension method, so the host package never depends on native code.</summary>
    /// <param name="name">The name, for example <c>ascend</c>.</param>
    /// <param name="factory">Creates the backend factory when the instance starts.</param>
    /// <returns>This builder.</returns>
    public LlmDataDistBuilder AddBackend(string name, Func<IServiceProvider, ILlmDataDistBackendFactory> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        Services.Configure<LlmDataDistBackendRegistry>(registry => registry.Add(name, factory));
        return this;
    }
}
