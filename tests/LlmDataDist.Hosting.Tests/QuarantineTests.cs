using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LlmDataDist.Hosting.Tests;

/// <summary>The recovery keeps what a timed-out transfer may still write (docs/what-a-timeout-means.md) out of use until
/// the link that carried it is torn down, and no longer.</summary>
public sealed class QuarantineTests
{
    private const ulong PromptId = 1;

    private static readonly Dictionary<string, string?> Config = new()
    {
        ["LlmDataDist:ClusterId"] = "2",
        ["LlmDataDist:Role"] = "Decoder",
        ["LlmDataDist:Backend"] = "scripted",
        ["LlmDataDist:Initialize:DeviceId"] = "0",
        ["LlmDataDist:Peers:0:RemoteClusterId"] = "1",
        ["LlmDataDist:Peers:0:LocalIpInfos:0:Ip"] = "10.0.0.2",
        ["LlmDataDist:Peers:0:RemoteIpInfos:0:Ip"] = "10.0.0.1",
        ["LlmDataDist:Peers:0:RemoteIpInfos:0:Port"] = "26000",
        ["LlmDataDist:Resilience:Delay"] = "00:00:00.001",
    };

    [Fact]
    public async Task Blocks_quarantined_on_a_link_are_released_by_its_recovery_right_after_the_local_force_unlink()
    {
        var (host, backend, instance) = await StartAsync();
        using (host)
        {
            var releasedAfterCalls = new List<int>();
            instance.QuarantineUntilTornDown(PromptId, () => releasedAfterCalls.Add(backend.Calls.Count));
            instance.QuarantineUntilTornDown(99, () => releasedAfterCalls.Add(-1)); // another link: not torn down here
            Assert.Equal(1, instance.QuarantinedCount(PromptId));
            Assert.Empty(releasedAfterCalls);

            await instance.RecoverLinkAsync(instance.Options.Peers[0]);

            Assert.Equal(["Unlink(force)", "Link"], backend.Calls);
            Assert.Equal([1], releasedAfterCalls); // after the force-unlink, before the new link
            Assert.Equal(0, instance.QuarantinedCount(PromptId));
            Assert.Equal(1, instance.QuarantinedCount(99));
        }
    }

    [Fact]
    public async Task A_transfer_that_timed_out_and_was_recovered_by_the_pipeline_releases_what_waited_for_its_link()
    {
        var (host, backend, instance) = await StartAsync(LlmStatus.WaitProcTimeout);
        using (host)
        {
            var released = 0;
            instance.QuarantineUntilTornDown(PromptId, () => released++);
            await instance.ExecuteAsync((client, ct) => client.PullKvBlocksAsync(new CacheIndex(PromptId, 5, 0), new Cache(1, [0x1000], new CacheDesc()), [0], [0], cancellationToken: ct),
                instance.Options.Peers[0]);
            Assert.Equal(["Pull", "Unlink(force)", "Link", "Pull"], backend.Calls);
            Assert.Equal(1, released);
        }
    }

    [Fact]
    public async Task Stopping_the_host_tears_every_link_down_and_releases_what_waited()
    {
        var (host, _, instance) = await StartAsync();
        using (host)
        {
            var released = 0;
            instance.QuarantineUntilTornDown(PromptId, () => released++);
            await host.StopAsync();
            Assert.Equal(1, released);
            Assert.Equal(0, instance.QuarantinedCount(PromptId));
        }
    }

    private static async Task<(IHost Host, ScriptedBackend Backend, LlmDataDistInstance Instance)> StartAsync(params LlmStatus[] pulls)
    {
        var backend = new ScriptedBackend(pulls);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(Config);
        builder.Services.AddLlmDataDist(builder.Configuration).AddBackend("scripted", _ => backend);
        var host = builder.Build();
        await host.StartAsync();
        backend.Calls.Clear();
        return (host, backend, host.Services.GetRequiredService<LlmDataDistInstance>());
    }
}
