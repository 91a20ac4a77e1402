// A decoder as a worker service: LlmDataDist is hosted (initialized on start, linked to its prompt, finalized on
// stop), each incoming request's KV blocks are pulled from the prompt through the resilience pipeline, and the SDK's
// spans and call durations go to the console through OpenTelemetry. The prompt is simulated in the same process.
using LlmDataDist;
using LlmDataDist.Hosting;
using LlmDataDist.Samples.Worker;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.Configure<SampleOptions>(builder.Configuration.GetSection("Sample"));

// The simulated prompt starts first (hosted services start in registration order), so the decoder can link to it.
builder.Services.AddSingleton<SimulatedPrompt>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<SimulatedPrompt>());
builder.Services.AddSingleton<ILlmDataDistPeerUnlinker>(sp => sp.GetRequiredService<SimulatedPrompt>());

builder.Services.AddLlmDataDist(builder.Configuration);
builder.Services.AddHostedService<DecoderWorker>();

if (builder.Configuration.GetValue("Sample:Telemetry", true))
{
    builder.Services.AddOpenTelemetry()
        .WithTracing(tracing => tracing.AddSource(LlmDataDistTelemetry.Name).AddConsoleExporter())
        .WithMetrics(metrics => metrics.AddMeter(LlmDataDistTelemetry.Name).AddConsoleExporter());
}

await builder.Build().RunAsync();
