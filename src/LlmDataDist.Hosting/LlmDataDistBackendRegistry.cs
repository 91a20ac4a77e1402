namespace LlmDataDist.Hosting;

/// <summary>The backends the host can run on, by name (case-insensitive). Filled through
/// <see cref="LlmDataDistBuilder.AddBackend"/>; the <c>simulator</c> backend is always there.</summary>
public sealed class LlmDataDistBackendRegistry
{
    private readonly Dictionary<string, Func<IServiceProvider, ILlmDataDistBackendFactory>> _factories = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The registered names.</summary>
    public IEnumerable<string> Names => _factories.Keys.Order(StringComparer.OrdinalIgnoreCase);

    /// <summary>Registers (or replaces) a backend.</summary>
    /// <param name="name">The name configuration selects it by (<c>LlmDataDist:Backend</c>).</param>
    /// <param name="factory">Creates the backend factory once, when the hosted instance starts.</param>
    public void Add(string name, Func<IServiceProvider, ILlmDataDistBackendFactory> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        _factories[name] = factory;
    }

    /// <summary>Whether a backend of that name is registered.</summary>
    /// <param name="name">The name.</param>
    /// <returns>True when registered.</returns>
    public bool Contains(string name) => name is not null && _factories.ContainsKey(name);

    internal ILlmDataDistBackendFactory Create(string name, IServiceProvider services) =>
        _factories.TryGetValue(name, out var factory)
            ? factory(services)
            : throw new InvalidOperationException($"Backend '{name}' is not registered.");
}
