using FsCheck;
using FsCheck.Fluent;
using LlmDataDist.ModelTests.Machine;
using LlmDataDist.ModelTests.Model;
using Xunit.Abstractions;

namespace LlmDataDist.ModelTests;

/// <summary>
/// Guards the generator: over the CI budget's worth of sequences, every call kind must reach SUCCESS, and the
/// interesting failure statuses must come up, or the model-based property would pass without testing much.
/// </summary>
public sealed class CoverageTests(ITestOutputHelper output)
{
    [Fact]
    public void Generated_sequences_reach_success_and_the_main_failures_of_every_call()
    {
        var seen = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (ulong seed = 1; seed <= 100; seed++)
        {
            var m = ModelWorld.Initial(Slot.Default);
            var rnd = new Rnd(seed);
            for (var step = 0; step < ModelRunner.OperationsPerTest; step++)
            {
                var command = Generators.Command(m, OperationMix.All).Sample(10, rnd, 1)[0];
                rnd = new Rnd(unchecked((seed * 1_000_003UL) + (ulong)step));
                if (!Generators.Applicable(m, command))
                {
                    continue;
                }

                m = Reference.Apply(m, command);
                var key = $"{command.GetType().Name.Replace("Cmd", "", StringComparison.Ordinal)} {(m.Last.Rejected ? "Rejected" : m.Last.Status.ToString())}";
                seen[key] = seen.GetValueOrDefault(key) + 1;
            }
        }

        output.WriteLine(string.Join("\n", seen.Select(kv => $"{kv.Key}: {kv.Value}")));
        string[] required =
        [
            "Initialize Success", "Initialize ParamInvalid", "Initialize Rejected", "Finalize Success", "SetRole Success", "SetRole ExistLink",
            "SetRole FeatureNotEnabled", "Link Success", "Link LinkFailed", "Unlink Success", "Unlink UnlinkFailed", "Allocate Success",
            "Allocate ParamInvalid", "Allocate DeviceOutOfMemory", "Deallocate Success", "Deallocate KvCacheNotExist", "PullCache Success",
            "PullCache NotYetLink", "PullCache KvCacheNotExist", "PullCache ParamInvalid", "PullCache WaitProcTimeout", "PullBlocks Success",
            "PullBlocks ParamInvalid", "PushCache Success", "PushCache NotYetLink", "PushCache ParamInvalid", "PushCache WaitProcTimeout",
            "PushBlocks Success", "PushBlocks ParamInvalid", "CopyCache Success", "CopyCache ParamInvalid", "CopyBlocks Success",
            "CopyBlocks ParamInvalid",
        ];
        var missing = required.Where(r => !seen.ContainsKey(r)).ToArray();
        Assert.True(missing.Length == 0, "never generated: " + string.Join(", ", missing));
    }
}
