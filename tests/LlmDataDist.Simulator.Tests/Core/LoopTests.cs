using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LlmDataDist.Simulator;

namespace LlmDataDist.Simulator.Tests.Core;

public class LoopTests
{
    [Fact]
    public void Events_run_by_time_then_FIFO_among_equal_times()
    {
        var loop = new SimLoop();
        var order = new List<string>();
        loop.Run(async () =>
        {
            loop.At(30, () => order.Add("c30"));
            loop.At(10, () => order.Add("a10"));
            loop.At(20, () => order.Add("b20-first"));
            loop.At(20, () => order.Add("b20-second"));
            loop.After(20, () => order.Add("b20-third"));
            loop.At(10, () => order.Add("a10-second"));
            await loop.Delay(100);
        });
        Assert.Equal(["a10", "a10-second", "b20-first", "b20-second", "b20-third", "c30"], order);
        Assert.Equal(100, loop.NowNs);
    }

    [Property(MaxTest = 100)]
    public Property Any_schedule_runs_in_time_then_sequence_order(ulong seed)
    {
        var random = new SimRandom(seed);
        var loop = new SimLoop();
        var scheduled = new List<(long AtNs, int Seq)>();
        var ran = new List<(long AtNs, int Seq)>();
        loop.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                var at = (long)random.Below(50); // few distinct times: many ties
                var seq = i;
                scheduled.Add((at, seq));
                loop.At(at, () => ran.Add((loop.NowNs, seq)));
            }

            await loop.Delay(1000);
        });
        var expected = scheduled.OrderBy(e => e.AtNs).ThenBy(e => e.Seq).ToList();
        return expected.SequenceEqual(ran).Label($"seed={seed}: order differs from (time, seq)");
    }

    [Fact]
    public void Deadlock_report_names_pending_waits_and_virtual_time()
    {
        var loop = new SimLoop();
        var failure = Assert.Throws<SimulationFailureException>(() => loop.Run(async () =>
        {
            await loop.Delay(5 * SimTime.NsPerMs);
            var w1 = loop.CreateWait<int>("link lock npu0->npu8 held by pull #3");
            var w2 = loop.CreateWait<bool>("peer ack from cluster 2");
            var done = loop.CreateWait<int>("completed one");
            loop.After(1, () => done.TrySetResult(1));
            await done.Task;
            await Task.WhenAll(w1.Task, w2.Task);
        }));
        Assert.Equal(SimulationFailureKind.Deadlock, failure.Kind);
        Assert.Equal(5 * SimTime.NsPerMs + 1, failure.NowNs);
        Assert.Equal(["link lock npu0->npu8 held by pull #3", "peer ack from cluster 2"], failure.Pending);
        Assert.Contains("link lock npu0->npu8 held by pull #3", failure.Message, StringComparison.Ordinal);
        Assert.Contains("t=5.000001ms", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("completed one", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_budget_stops_a_livelock()
    {
        var loop = new SimLoop(stepsMax: 1_000);
        var failure = Assert.Throws<SimulationFailureException>(() => loop.Run(async () =>
        {
            for (var i = 0; i < 1_000_000; i++)
            {
                await loop.Delay(1);
            }
        }));
        Assert.Equal(SimulationFailureKind.StepBudgetExhausted, failure.Kind);
        Assert.Equal(1_000, loop.StepCount);
        Assert.Equal(500, failure.NowNs); // each awaited delay is two steps: the delay itself, then the posted continuation
        Assert.Contains("step budget", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Canceled_delay_throws_and_its_entry_never_moves_the_clock()
    {
        var loop = new SimLoop();
        var failure = Assert.Throws<SimulationFailureException>(() => loop.Run(async () =>
        {
            using var cts = new CancellationTokenSource();
            var longDelay = loop.Delay(SimTime.NsPerSecond, cts.Token);
            await loop.Delay(10);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => longDelay);
            await loop.CreateWait<int>("never").Task; // idle now: the canceled 1 s entry must not count as work
        }));
        Assert.Equal(SimulationFailureKind.Deadlock, failure.Kind);
        Assert.Equal(10, failure.NowNs);
        Assert.Equal(10, loop.NowNs);
    }

    [Fact]
    public void TimeProvider_runs_Task_Delay_and_timers_in_virtual_time()
    {
        using var world = new SimulatedWorld(1, Topology.A2());
        var time = world.TimeProvider;
        var ticks = new List<long>();
        world.Run(async () =>
        {
            var t0 = time.GetTimestamp();
            await Task.Delay(TimeSpan.FromMilliseconds(3), time);
            Assert.Equal(3 * SimTime.NsPerMs, world.NowNs);
            Assert.Equal(TimeSpan.FromMilliseconds(3), time.GetElapsedTime(t0));
            Assert.Equal(SimTimeProvider.Epoch.AddMilliseconds(3), time.GetUtcNow());

            using var timer = time.CreateTimer(_ => ticks.Add(world.NowNs), null, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(2));
            await Task.Delay(TimeSpan.FromMilliseconds(6), time);
            timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            await Task.Delay(TimeSpan.FromMilliseconds(10), time);
        });
        Assert.Equal([4 * SimTime.NsPerMs, 6 * SimTime.NsPerMs, 8 * SimTime.NsPerMs], ticks);
        Assert.Equal(19 * SimTime.NsPerMs, world.NowNs);
    }

    [Fact]
    public void CancellationTokenSource_with_TimeProvider_cancels_in_virtual_time()
    {
        using var world = new SimulatedWorld(1, Topology.A2());
        long canceledAt = -1;
        world.Run(async () =>
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(250), world.TimeProvider);
            cts.Token.Register(() => canceledAt = world.NowNs);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.Delay(TimeSpan.FromHours(1), world.TimeProvider, cts.Token));
        });
        Assert.Equal(250 * SimTime.NsPerMs, canceledAt);
        Assert.Equal(250 * SimTime.NsPerMs, world.NowNs);
    }

    [Fact]
    public void ConfigureAwait_false_continuations_stay_on_the_loop_thread()
    {
        using var world = new SimulatedWorld(1, Topology.A2());
        var checks = 0;
        var contexts = new List<SynchronizationContext?>();
        world.Run(async () =>
        {
            var loopThread = Environment.CurrentManagedThreadId;
            void Check()
            {
                Assert.Equal(loopThread, Environment.CurrentManagedThreadId);
                world.Loop.AssertOnLoopThread();
                // ConfigureAwait(false) continuations run inline on the loop thread with no context; never another one.
                Assert.True(SynchronizationContext.Current is null || SynchronizationContext.Current == world.Loop);
                contexts.Add(SynchronizationContext.Current);
                checks++;
            }

            await world.Loop.Delay(1_000).ConfigureAwait(false);
            Check();
            await Task.Delay(TimeSpan.FromMicroseconds(5), world.TimeProvider).ConfigureAwait(false);
            Check();
            var outcome = await world.Network.TransferAsync(0, 1, 1 << 20, 8).ConfigureAwait(false);
            Assert.True(outcome.IsCompleted);
            Check();
            var wait = world.Loop.CreateWait<int>("set by a timer");
            world.Loop.After(7, () => wait.TrySetResult(7));
            Assert.Equal(7, await wait.Task.ConfigureAwait(false));
            Check();
            await Task.WhenAll(world.Loop.Delay(3), Task.Delay(TimeSpan.FromTicks(1), world.TimeProvider)).ConfigureAwait(false);
            Check();
            using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(1), world.TimeProvider))
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await world.Loop.Delay(SimTime.NsPerSecond, cts.Token).ConfigureAwait(false));
            }

            Check();
            await world.Loop.Yield(); // brings the loop's context back
            Check();
            await Task.Yield();
            Check();
        });
        Assert.Equal(8, checks);
        Assert.Same(world.Loop, contexts[^1]);
        Assert.Same(world.Loop, contexts[^2]);
    }

    [Fact]
    public void Continuations_never_run_on_the_thread_pool()
    {
        using var world = new SimulatedWorld(3, Topology.A2(2));
        var loopThread = Environment.CurrentManagedThreadId;
        var observed = new List<(int Thread, bool Pool)>();
        world.Run(async () =>
        {
            var tasks = Enumerable.Range(0, 8).Select(async i =>
            {
                await world.Loop.Delay(i * 100).ConfigureAwait(false);
                observed.Add((Environment.CurrentManagedThreadId, Thread.CurrentThread.IsThreadPoolThread));
                await world.Network.TransferAsync(i, 8 + i, 1 << 16, 1).ConfigureAwait(false);
                observed.Add((Environment.CurrentManagedThreadId, Thread.CurrentThread.IsThreadPoolThread));
            });
            await Task.WhenAll(tasks);
        });
        Assert.Equal(16, observed.Count);
        Assert.All(observed, o => Assert.Equal(loopThread, o.Thread));
        Assert.All(observed, o => Assert.Equal(Thread.CurrentThread.IsThreadPoolThread, o.Pool));
    }

    [Fact]
    public void Work_from_a_foreign_thread_fails_the_run_loudly()
    {
        var loop = new SimLoop();
        Exception? offLoop = null;
        var failure = Assert.Throws<SimulationFailureException>(() => loop.Run(async () =>
        {
            var thread = new Thread(() =>
            {
                offLoop = Record.Exception(() => loop.AssertOnLoopThread());
                loop.Post(_ => { }, null);
            });
            thread.Start();
            thread.Join();
            await loop.Delay(1);
        }));
        Assert.IsType<InvalidOperationException>(offLoop);
        Assert.Equal(SimulationFailureKind.ForeignThread, failure.Kind);
    }

    [Fact]
    public void An_exception_from_async_void_fails_the_run()
    {
        var loop = new SimLoop();
        var failure = Assert.Throws<SimulationFailureException>(() => loop.Run(async () =>
        {
            Fire();
            await loop.Delay(10);
        }));
        Assert.Equal(SimulationFailureKind.EventFailed, failure.Kind);
        Assert.IsType<InvalidOperationException>(failure.InnerException);

        async void Fire()
        {
            await loop.Delay(1);
            throw new InvalidOperationException("boom");
        }
    }

    [Fact]
    public void Scenario_exceptions_and_results_come_back_from_Run()
    {
        var loop = new SimLoop();
        Assert.Equal(42, loop.Run(async () => { await loop.Delay(5); return 42; }));
        var ex = Assert.Throws<FormatException>(() => loop.Run(async () => { await loop.Delay(5); throw new FormatException("x"); }));
        Assert.Equal("x", ex.Message);
        Assert.Equal(10, loop.NowNs);
        Assert.Throws<ArgumentOutOfRangeException>(() => loop.At(3, () => { }));
    }
}
