using System.ComponentModel;
using System.Globalization;
using System.Net;
using LlmDataDist;
using LlmDataDist.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers LlmDataDist in a host.</summary>
public static class LlmDataDistServiceCollectionExtensions
{
    /// <summary>
    /// Registers a hosted LlmDataDist instance: <see cref="LlmDataDistHostOptions"/> bound from the <c>LlmDataDist</c>
    /// section and validated at start, the backend named by <c>LlmDataDist:Backend</c> (the simulator is built in),
    /// <see cref="LlmDataDistInstance"/>, the hosted service that initializes it on start and finalizes it on stop,
    /// the health check <c>llmdatadist</c>, and the resilience pipeline <see cref="LlmDataDistInstance.PipelineName"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration; its <c>LlmDataDist</c> section is bound.</param>
    /// <param name="configure">Changes after binding; null for none.</param>
    /// <returns>A builder to register more backends.</returns>
    public static LlmDataDistBuilder AddLlmDataDist(this IServiceCollection services, IConfiguration configuration,
        Action<LlmDataDistHostOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = services.AddLlmDataDist(configure);
        services.AddOptions<LlmDataDistHostOptions>().Bind(configuration.GetSection(LlmDataDistHostOptions.SectionName));
        if (configure is not null)
        {
            // Binding ran first only if registered first: register the change again so it applies after binding.
            services.PostConfigure(configure);
        }

        return builder;
    }

    /// <summary>Registers a hosted LlmDataDist instance configured in code (see the other overload).</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options; null to rely on other registrations.</param>
    /// <returns>A builder to register more backends.</returns>
    public static LlmDataDistBuilder AddLlmDataDist(this IServiceCollection services, Action<LlmDataDistHostOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        EndPointConversion.Register();
        var options = services.AddOptions<LlmDataDistHostOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LlmDataDistHostOptions>, LlmDataDistOptionsValidator>());
        services.TryAddSingleton(sp => new SimulatorBackend(sp.GetRequiredService<IOptions<LlmDataDistHostOptions>>().Value.Simulator));
        services.TryAddSingleton<LlmDataDistInstance>();
        services.AddHostedService<LlmDataDistHostedService>();
        services.AddHealthChecks().AddCheck<LlmDataDistHealthCheck>("llmdatadist", tags: ["llmdatadist"]);
        services.AddResiliencePipeline(LlmDataDistInstance.PipelineName, static (pipeline, context) =>
        {
            var resilience = context.ServiceProvider.GetRequiredService<IOptions<LlmDataDistHostOptions>>().Value.Resilience;
            var logger = context.ServiceProvider.GetRequiredService<ILogger<LlmDataDistInstance>>();
            if (resilience.MaxRetryAttempts == 0)
            {
                return;
            }

            pipeline.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = resilience.MaxRetryAttempts,
                Delay = resilience.Delay,
                BackoffType = DelayBackoffType.Exponential,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is LlmDataDistException ex
                    && ((ex.IsRecoverable && resilience.RetryStatuses.Contains(ex.Status))
                        || (resilience.RecoverLinkStatuses.Contains(ex.Status) && args.Context.Properties.TryGetValue(LlmDataDistInstance.PeerProperty, out _)))),
                OnRetry = async args =>
                {
                    var ex = (LlmDataDistException)args.Outcome.Exception!;
                    Log.Retrying(logger, ex.Operation, ex.Status, args.AttemptNumber + 1, args.RetryDelay);
                    if (resilience.RecoverLinkStatuses.Contains(ex.Status) && args.Context.Properties.TryGetValue(LlmDataDistInstance.PeerProperty, out var peer))
                    {
                        var instance = context.ServiceProvider.GetRequiredService<LlmDataDistInstance>();
                        instance.OnLinkBroken(peer, ex.Status);
                        await instance.RecoverLinkAsync(peer, args.Context.CancellationToken).ConfigureAwait(false);
                    }
                },
            });
        });
        return new LlmDataDistBuilder(services)
            .AddBackend(SimulatorBackend.Name, sp => sp.GetRequiredService<SimulatorBackend>()
                .Factory(sp.GetRequiredService<IOptions<LlmDataDistHostOptions>>().Value.Simulator.Server));
    }

    /// <summary>Lets the configuration binder read <c>ip:port</c> (and <c>[ipv6]:port</c>) text into the endpoint
    /// options (<see cref="LlmDataDistOptions.ListenIpInfo"/>): IPEndPoint has no type converter of its own.</summary>
    private static class EndPointConversion
    {
        private static int _registered;

        public static void Register()
        {
            if (Interlocked.Exchange(ref _registered, 1) == 0)
            {
                TypeDescriptor.AddAttributes(typeof(IPEndPoint), new TypeConverterAttribute(typeof(IPEndPointConverter)));
            }
        }
    }
}

/// <summary>Converts <c>ip:port</c> text to an <see cref="IPEndPoint"/>, for configuration binding.</summary>
internal sealed class IPEndPointConverter : TypeConverter
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) => sourceType == typeof(string) || base.CanConvertFrom(context, sourceType);

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text
            ? IPEndPoint.TryParse(text.Trim(), out var endpoint) ? endpoint : throw new FormatException($"'{text}' is not an ip:port endpoint.")
            : base.ConvertFrom(context, culture, value);
}
