// The official prompt/decoder flows against the deterministic simulator, through the typed client:
//   (a) CE: the decoder pulls a cache and blocks from the prompt
//   (b) HX: the prompt pushes a cache and blocks to the decoder (registered memory)
//   (c) CE: the two instances switch roles (llm.EnableSwitchRole=1)
// Every flow checks the bytes on the decoder side; the exit code is 1 on any mismatch.
//
// Other modes:
//   --trace-hash <seed>        run the chaos pull workload of <seed> and print only its trace hash
//   --chaos <seed> [CE|HX]     run the chaos pull workload and print its plan and a summary
using System.Globalization;
using LlmDataDist.Samples.Simulated;
using LlmDataDist.Simulator.Semantics;

switch (args)
{
    case ["--trace-hash", var seed]:
        Console.WriteLine(ChaosPullWorkload.Run(ParseSeed(seed)).TraceHash);
        return 0;
    case ["--chaos", var seed, ..]:
        var profile = args.Length > 2 ? Enum.Parse<EngineProfile>(args[2], ignoreCase: true) : EngineProfile.CE;
        var report = ChaosPullWorkload.Run(ParseSeed(seed), profile);
        Console.WriteLine(report.Plan);
        Console.WriteLine(report);
        return report.Calls.Any(c => c.DataOk == false) ? 1 : 0;
    case []:
        var results = SimulatedFlows.RunAll(Console.Out);
        Console.WriteLine();
        foreach (var result in results)
        {
            Console.WriteLine($"{(result.Verified ? "ok  " : "FAIL")} {result.Name}");
        }

        return results.All(r => r.Verified) ? 0 : 1;
    default:
        Console.Error.WriteLine("usage: LlmDataDist.Samples.Simulated [--trace-hash <seed> | --chaos <seed> [CE|HX]]");
        return 2;
}

static ulong ParseSeed(string text) => ulong.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
