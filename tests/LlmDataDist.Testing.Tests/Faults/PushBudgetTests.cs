using LlmDataDist.Simulator;
using LlmDataDist.Simulator.Semantics;

namespace LlmDataDist.Testing.Tests.Faults;

/// <summary>A push has one llm.SyncKvCacheWaitTime budget for the whole call, not one per layer (reference §7, §9.15,
/// §12.10): a regression test of a simulator bug the fault properties found.</summary>
public sealed class PushBudgetTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromMilliseconds(20);
    private const long ExtraLatencyNs = 2 * SimTime.NsPerMs;
    private const string PromptTx = "npu0.roce.tx";

    /// <summary>1P1D (prompt on npu0). Every transfer out of npu0 is 2 ms slower; the prompt pushes both layers of its
    /// cache; the link goes down as the second layer's transfer starts. The push must return the engine's timeout status
    /// within llm.SyncKvCacheWaitTime (20 ms) + slack of its start.</summary>
    [Theory]
    [InlineData(EngineProfile.CE)]
    [InlineData(EngineProfile.HX)]
    public void A_push_whose_second_layer_is_lost_returns_within_its_budget(EngineProfile profile)
    {
        // Run 1 counts the transfers over the prompt's port up to the end of the push (the last one is the second
        // layer's), so run 2 can take the link down exactly as that transfer starts.
        var spike = new LatencySpikeFault("npu0.*", 0, long.MaxValue, ExtraLatencyNs);
        var (healthy, _, transfers) = PushTwoLayers(profile, FaultPlan.Scripted(spike));
        Assert.Equal(LlmStatus.Success, healthy);
        var (status, elapsedNs, _) = PushTwoLayers(profile, FaultPlan.Scripted(spike, new LinkDownAfterTransfersFault(PromptTx, transfers - 1)));

        var budgetNs = SimTime.FromTimeSpan(Wait);
        Assert.Equal(profile == EngineProfile.CE ? LlmStatus.WaitProcTimeout : LlmStatus.Timeout, status);
        Assert.True(elapsedNs <= budgetNs + SafetyChecker.SlackNs, $"the push took {SimTime.Format(elapsedNs)} of a {SimTime.Format(budgetNs)} budget");
    }

    private static (LlmStatus Status, long ElapsedNs, long Transfers) PushTwoLayers(EngineProfile profile, FaultPlan plan)
    {
        var result = (LlmStatus.Success, 0L, 0L);
        var settings = SimulationSettings.Default.WithFaults(plan).WithEnvironment(SimulationEnvironment.None);
        SimulationRunner.Run(1, profile, async sim =>
        {
            var desc = ChaosWorkload.Desc;
            var prompt = sim.CreateClient(1, LlmRole.Prompt, server: 0);
            var decoder = sim.CreateClient(2, LlmRole.Decoder, server: 1);
            await prompt.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, ListenIpInfo = SimulationContext.ListenEndpoint(1), SyncKvCacheWaitTime = Wait });
            await decoder.InitializeAsync(new LlmDataDistOptions { DeviceId = 0, SyncKvCacheWaitTime = Wait });
            Cache src, dst;
            if (profile == EngineProfile.CE)
            {
                (src, dst) = (await prompt.AllocateCacheAsync(desc), await decoder.AllocateCacheAsync(desc));
            }
            else
            {
                var (a, b) = (sim.AllocateTensors(0, 0, desc)!, sim.AllocateTensors(1, 0, desc)!);
                (src, dst) = (new Cache(await prompt.RegisterKvCacheAsync(desc, a, new RegisterCfg()), a, desc), new Cache(await decoder.RegisterKvCacheAsync(desc, b, new RegisterCfg()), b, desc));
            }

            await decoder.LinkLlmClustersAsync([SimulationContext.LinkTarget(2, 1)], TimeSpan.FromMilliseconds(200));
            var outcome = await sim.CallAsync(() => prompt.PushKvCacheAsync(src, new CacheIndex(2, dst.CacheId, 0)));
            var transfers = sim.Trace.Events.Count(e => e.Name == "Transfer" && e.Args.Any(a => a.Key == "route" && a.Value.Split('>').Contains(PromptTx)));
            result = (outcome.Status, outcome.ElapsedNs, transfers);
        }, settings);
        return result;
    }
}
