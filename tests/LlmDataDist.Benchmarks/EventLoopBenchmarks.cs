using BenchmarkDotNet.Attributes;
using LlmDataDist.Simulator;

namespace LlmDataDist.Benchmarks;

/// <summary>
/// Event-loop throughput through the (time, sequence) queue; events per second = 1 / mean (OperationsPerInvoke is
/// the event count). Steady state: 1024 actors each rescheduling itself, so the queue holds about a thousand events
/// as in a simulated cluster. Burst: a million events queued at once, the queue's worst case.
/// </summary>
public class EventLoopBenchmarks
{
    private const int Actors = 1024;
    private const int TicksPerActor = 1000;
    private const int Burst = 1_000_000;
    private static readonly Action Nothing = static () => { };

    [Benchmark(Baseline = true, OperationsPerInvoke = Actors * TicksPerActor)]
    public long SteadyState()
    {
        var loop = new SimLoop();
        loop.Run(async () =>
        {
            for (var a = 0; a < Actors; a++)
            {
                var left = TicksPerActor;
                var delay = 1 + (a % 97);
                Action? tick = null;
                tick = () =>
                {
                    if (--left > 0)
                    {
                        loop.After(delay, tick!);
                    }
                };
                loop.After(delay, tick);
            }

            await loop.Delay(200_000);
        });
        return loop.StepCount;
    }

    [Benchmark(OperationsPerInvoke = Burst)]
    public long BurstOfOneMillion()
    {
        var loop = new SimLoop();
        loop.Run(async () =>
        {
            for (var i = 0; i < Burst; i++)
            {
                loop.After(i & 1023, Nothing); // 1024 distinct times, many ties
            }

            await loop.Delay(2048);
        });
        return loop.StepCount;
    }
}
