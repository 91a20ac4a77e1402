using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LlmDataDist.Hosting.Tests;

public sealed class HostingTests
{
    private const ulong PromptId = 1;
    private const ulong DecoderId = 2;

    private static readonly Dictionary<string, string?> DecoderConfig = new()
    {
        ["LlmDataDist:ClusterId"] = "2",
        ["LlmDataDist:Role"] = "Decoder",
        ["LlmDataDist:Backend"] = "simulator",
        ["LlmDataDist:Initialize:DeviceId"] = "0",
        ["LlmDataDist:Initialize:SyncKvCacheWaitTime"] = "00:00:00.100",
        ["LlmDataDist:Simulator:Server"] = "1",
        ["LlmDataDist:Peers:0:RemoteClusterId"] = "1",
        ["LlmDataDist:Peers:0:LocalIpInfos:0:Ip"] = "10.0.0.2",
        ["LlmDataDist:Peers:0:RemoteIpInfos:0:Ip"] = "10.0.0.1",
        ["LlmDataDist:Peers:0:RemoteIpInfos:0:Port"] = "26000",
        ["LlmDataDist:Resilience:Delay"] = "00:00:00.001",
    };

    [Fact]
    public async Task Start_initializes_and_links_the_peer_pulls_exact_bytes_and_stop_finalizes()
    {
        using var host = Build(DecoderConfig);
        var simulator = host.Services.GetRequiredService<SimulatorBackend>();
        await using var prompt = LlmDataDistClient.Create(simulator.Factory(server: 0), PromptId, LlmRole.Prompt);
        await prompt.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, ListenIpInfo = IPEndPoint.Parse("10.0.0.1:26000") });

        await host.StartAsync();
        var instance = host.Services.GetRequiredService<LlmDataDistInstance>();
        Assert.Equal(LlmInstanceState.Running, instance.State);
        Assert.Equal(LlmLinkState.Linked, instance.Links[PromptId]);
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, health.Status);
        Assert.Equal("Linked (Success)", health.Entries["llmdatadist"].Data["link.1"]);

        var desc = new CacheDesc(CachePlacement.Device, 2, DataType.Int8, [4, 32]);
        var source = await prompt.AllocateCacheAsync(desc);
        var destination = await instance.Client.AllocateCacheAsync(desc);
        Write(simulator, source, 7);
        Write(simulator, destination, 9);
        var peer = instance.Options.Peers[0];
        await instance.ExecuteAsync((client, ct) => client.PullKvBlocksAsync(new CacheIndex(PromptId, source.CacheId, 0), destination, [3], [0], cancellationToken: ct), peer);
        var expected = Read(simulator, source).Select(t => t[96..128]).ToArray();
        var actual = Read(simulator, destination);
        Assert.All(Enumerable.Range(0, 2), t => Assert.Equal(expected[t], actual[t][0..32]));
        Assert.All(Enumerable.Range(0, 2), t => Assert.Equal(Pattern(9, t)[32..], actual[t][32..])); // rows 1..3 untouched

        await host.StopAsync();
        Assert.Equal(LlmInstanceState.Stopped, instance.State);
        Assert.Equal(LlmLinkState.Unlinked, instance.Links[PromptId]);
        health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, health.Status);
    }

    [Fact]
    public async Task Invalid_configuration_stops_the_host_at_start_with_every_rule_it_breaks()
    {
        using var host = Build(new()
        {
            ["LlmDataDist:ClusterId"] = "2",
            ["LlmDataDist:Backend"] = "ascend",
            ["LlmDataDist:Resilience:RetryStatuses:0"] = "Timeout",
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Backend 'ascend' is not registered (registered: simulator)", error.Message, StringComparison.Ordinal);
        Assert.Contains("DeviceId is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("calls Timeout unrecoverable", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_binds_the_listen_endpoint_from_ip_port_text()
    {
        using var host = Build(new(DecoderConfig) { ["LlmDataDist:Initialize:ListenIpInfo"] = "10.0.0.9:26001" });
        var options = host.Services.GetRequiredService<IOptions<LlmDataDistHostOptions>>().Value;
        Assert.Equal(IPEndPoint.Parse("10.0.0.9:26001"), options.Initialize.ListenIpInfo);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.Initialize.SyncKvCacheWaitTime);
        Assert.Equal("10.0.0.1", options.Peers.Single().RemoteIpInfos.Single().Ip);
    }

    [Fact]
    public async Task A_backend_registered_by_name_is_the_one_configuration_chooses()
    {
        var backend = new ScriptedBackend();
        using var host = Build(new(DecoderConfig) { ["LlmDataDist:Backend"] = "scripted" }, b => b.AddBackend("scripted", _ => backend));
        await host.StartAsync();
        await host.StopAsync();
        Assert.Equal(["Initialize", "Link", "Unlink(force)", "Finalize"], backend.Calls);
    }

    [Fact]
    public async Task A_recoverable_status_the_advice_says_to_retry_is_retried_as_it_is()
    {
        var (host, backend, instance) = await StartScriptedAsync(LlmStatus.LinkBusy, LlmStatus.ProcessingLink);
        using (host)
        {
            await PullAsync(instance);
            Assert.Equal(["Pull", "Pull", "Pull"], backend.Calls);
        }
    }

    [Fact]
    public async Task A_broken_link_is_force_unlinked_on_both_sides_and_linked_again_before_the_retry()
    {
        var peerSide = new RecordingPeerUnlinker();
        var (host, backend, instance) = await StartScriptedAsync([LlmStatus.WaitProcTimeout], services => services.AddSingleton<ILlmDataDistPeerUnlinker>(peerSide));
        using (host)
        {
            await PullAsync(instance);
            Assert.Equal(["Pull", "Unlink(force)", "Link", "Pull"], backend.Calls);
            Assert.Equal([PromptId], peerSide.Peers);
            Assert.Equal(LlmLinkState.Linked, instance.Links[PromptId]);
        }
    }

    [Fact]
    public async Task A_status_not_to_retry_fails_at_once()
    {
        var (host, backend, instance) = await StartScriptedAsync(LlmStatus.ParamInvalid);
        using (host)
        {
            await Assert.ThrowsAsync<LlmParamInvalidException>(() => PullAsync(instance).AsTask());
            Assert.Equal(["Pull"], backend.Calls);
        }
    }

    [Fact]
    public async Task Retries_stop_after_the_configured_attempts()
    {
        var (host, backend, instance) = await StartScriptedAsync([.. Enumerable.Repeat(LlmStatus.LinkBusy, 10)]);
        using (host)
        {
            await Assert.ThrowsAsync<LlmLinkBusyException>(() => PullAsync(instance).AsTask());
            Assert.Equal(4, backend.Calls.Count); // the first attempt and MaxRetryAttempts = 3 retries
        }
    }

    private static ValueTask PullAsync(LlmDataDistInstance instance) =>
        instance.ExecuteAsync((client, ct) => client.PullKvBlocksAsync(new CacheIndex(PromptId, 5, 0), new Cache(1, [0x1000], new CacheDesc()), [0], [0], cancellationToken: ct),
            instance.Options.Peers[0]);

    private static Task<(IHost Host, ScriptedBackend Backend, LlmDataDistInstance Instance)> StartScriptedAsync(params LlmStatus[] pulls) =>
        StartScriptedAsync(pulls, null);

    private static async Task<(IHost Host, ScriptedBackend Backend, LlmDataDistInstance Instance)> StartScriptedAsync(LlmStatus[] pulls, Action<IServiceCollection>? services)
    {
        var backend = new ScriptedBackend(pulls);
        var host = Build(new(DecoderConfig) { ["LlmDataDist:Backend"] = "scripted" }, b => b.AddBackend("scripted", _ => backend), services);
        await host.StartAsync();
        backend.Calls.Clear();
        return (host, backend, host.Services.GetRequiredService<LlmDataDistInstance>());
    }

    private static IHost Build(Dictionary<string, string?> config, Action<LlmDataDistBuilder>? backends = null, Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(config);
        var llm = builder.Services.AddLlmDataDist(builder.Configuration);
        backends?.Invoke(llm);
        services?.Invoke(builder.Services);
        return builder.Build();
    }

    private static byte[] Pattern(byte seed, int tensor) => [.. Enumerable.Range(0, 128).Select(i => unchecked((byte)((i * 31) + (tensor * 7) + (seed * 101) + 1)))];

    private static void Write(SimulatorBackend simulator, Cache cache, byte seed) => simulator.Run(() =>
    {
        for (var t = 0; t < cache.TensorAddrs.Count; t++)
        {
            Assert.True(simulator.World.Memory.TryResolve(cache.TensorAddrs[t], 128, out var range));
            range.Write(Pattern(seed, t));
        }

        return Task.FromResult(true);
    });

    private static byte[][] Read(SimulatorBackend simulator, Cache cache) => simulator.Run(() =>
    {
        var tensors = new byte[cache.TensorAddrs.Count][];
        for (var t = 0; t < tensors.Length; t++)
        {
            Assert.True(simulator.World.Memory.TryResolve(cache.TensorAddrs[t], 128, out var range));
            tensors[t] = new byte[128];
            range.Read(tensors[t]);
        }

        return Task.FromResult(tensors);
    });

    private sealed class RecordingPeerUnlinker : ILlmDataDistPeerUnlinker
    {
        public List<ulong> Peers { get; } = [];

        public ValueTask ForceUnlinkPeerSideAsync(ClusterInfo peer, CancellationToken cancellationToken)
        {
            Peers.Add(peer.RemoteClusterId);
            return ValueTask.CompletedTask;
        }
    }
}
