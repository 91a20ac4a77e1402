using BenchmarkDotNet.Attributes;
using LlmDataDist.Simulator;

namespace LlmDataDist.Benchmarks;

/// <summary>Event-loop throughput: one million timed events through the (time, sequence) queue. Events per second = 1e6 / mean.</summary>
public class EventLoopBenchmarks
{
    private const int Events = 1_000_000;
    private static readonly Action Nothing = static () => { };

    [Benchmark(OperationsPerInvoke = Events)]
    public long ScheduleAndRunEvents()
    {
        var loop = new SimLoop();
        loop.Run(async () =>
        {
            for (var i = 0; i < Events; i++)
            {
                loop.After(i & 1023, Nothing); // spread over 1024 distinct times, many ties
            }

            await loop.Delay(2048);
        });
        return loop.StepCount;
    }
}
