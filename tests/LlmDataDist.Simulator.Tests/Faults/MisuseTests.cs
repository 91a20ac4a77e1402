using LlmDataDist.Simulator.Backend;
using LlmDataDist.Simulator.Semantics;
using static LlmDataDist.Samples.Simulated.SimulatedKit;

namespace LlmDataDist.Simulator.Tests.Faults;

/// <summary>
/// Issue 8 item 4: misusing the simulator gets a clear error, never a hang. Work that escapes the loop thread
/// (<c>Task.Run</c>, <c>ContinueWith</c> on the thread pool) fails the run as <see cref="SimulationFailureKind.ForeignThread"/>,
/// not as a deadlock; a client call made outside <c>world.Run</c> throws at once and says to use <c>world.Run</c>.
/// Simulator-only (virtual time and the loop thread do not exist on hardware).
/// </summary>
public sealed class MisuseTests
{
    private static readonly LlmDataDistOptions DecoderOptions = new() { DeviceId = 0 };

    [Fact]
    public void A_client_call_outside_world_run_throws_at_once_and_says_to_use_world_run()
    {
        using var world = new SimulatedWorld(1, OnePromptOneDecoder());
        var fabric = new SimulatedFabric(world, EngineProfile.CE);
        var decoder = LlmDataDistClient.Create(fabric.Factory(server: 1), DecoderId, LlmRole.Decoder, ClientOptions(world));

        var initialize = decoder.InitializeAsync(DecoderOptions);
        var error = Assert.Throws<InvalidOperationException>(() => initialize.AsTask().GetAwaiter().GetResult());

        Assert.Contains("outside a simulation run", error.Message, StringComparison.Ordinal);
        Assert.Contains("world.Run(", error.Message, StringComparison.Ordinal);
        // Nothing happened: inside a run the same call succeeds.
        world.Run(async () => await decoder.InitializeAsync(DecoderOptions));
        var link = decoder.LinkLlmClustersAsync([DecoderToPrompt]);
        Assert.True(link.IsCompleted, "the call outside world.Run must not wait for virtual time");
        Assert.Contains("world.Run(", Assert.Throws<InvalidOperationException>(() => link.AsTask().GetAwaiter().GetResult()).Message, StringComparison.Ordinal);
    }

    public static IEnumerable<object[]> Escapes =>
    [
        ["Task.Run"],
        ["ContinueWith on the thread pool"],
        ["Task.Run that fails before the scenario awaits it"],
    ];

    [Theory]
    [MemberData(nameof(Escapes))]
    public void Work_escaping_the_loop_thread_is_reported_as_foreign_thread_not_deadlock(string escape)
    {
        using var world = new SimulatedWorld(1, OnePromptOneDecoder());
        var fabric = new SimulatedFabric(world, EngineProfile.CE);
        var failure = Assert.Throws<SimulationFailureException>(() => world.Run(async () =>
        {
            var decoder = LlmDataDistClient.Create(fabric.Factory(server: 1), DecoderId, LlmRole.Decoder, ClientOptions(world));
            await decoder.InitializeAsync(DecoderOptions);
            var escaped = escape switch
            {
                "ContinueWith on the thread pool" => Task.Delay(0).ContinueWith(_ => decoder.LinkLlmClustersAsync([DecoderToPrompt]).AsTask(), TaskScheduler.Default).Unwrap(),
                _ => Task.Run(async () => await decoder.LinkLlmClustersAsync([DecoderToPrompt])),
            };
            if (escape.EndsWith("awaits it", StringComparison.Ordinal))
            {
                // The race a loaded machine makes: the escaped call has already failed when the scenario awaits it, so
                // the scenario ends with that exception before the loop takes another step.
                ((IAsyncResult)escaped).AsyncWaitHandle.WaitOne();
            }

            await escaped;
        }));

        Assert.Equal(SimulationFailureKind.ForeignThread, failure.Kind);
        Assert.Contains("escaped the loop", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_real_deadlock_is_still_reported_as_a_deadlock()
    {
        using var world = new SimulatedWorld(1, OnePromptOneDecoder());
        var never = new TaskCompletionSource();
        var failure = Assert.Throws<SimulationFailureException>(() => world.Run(() => never.Task));

        Assert.Equal(SimulationFailureKind.Deadlock, failure.Kind);
    }
}
