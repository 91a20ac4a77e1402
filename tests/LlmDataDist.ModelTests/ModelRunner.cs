using System.Globalization;
using FsCheck;
using FsCheck.Experimental;
using LlmDataDist.ModelTests.Machine;
using Microsoft.FSharp.Core;

namespace LlmDataDist.ModelTests;

/// <summary>
/// Runs the state machine for a list of seeds and turns a failure into a message that starts with the seed and the
/// command that replays it. Environment: MODEL_REPLAY="&lt;seed&gt;" replays one seed; MODEL_SWEEP=1 runs fresh random
/// seeds (MODEL_SWEEP_SEEDS of them, default 40) with MODEL_SWEEP_TESTS tests each (default 50).
/// </summary>
public static class ModelRunner
{
    /// <summary>Operations per generated sequence.</summary>
    public const int OperationsPerTest = 60;

    /// <summary>Sequences per seed in CI.</summary>
    public const int TestsPerSeed = 30;

    public static void Run(string testName, OperationMix mix)
    {
        var (seeds, tests) = Plan();
        foreach (var seed in seeds)
        {
            RunSeed(testName, mix, seed, tests);
        }
    }

    public static (IReadOnlyList<ulong> Seeds, int Tests) Plan()
    {
        var replay = Environment.GetEnvironmentVariable("MODEL_REPLAY");
        if (!string.IsNullOrWhiteSpace(replay))
        {
            return ([ulong.Parse(replay.Trim(), CultureInfo.InvariantCulture)], Count("MODEL_REPLAY_TESTS", TestsPerSeed));
        }

        if (Environment.GetEnvironmentVariable("MODEL_SWEEP") == "1")
        {
            var count = Count("MODEL_SWEEP_SEEDS", 40);
            var fresh = Enumerable.Range(0, count).Select(_ => (ulong)System.Random.Shared.NextInt64(1, long.MaxValue)).ToArray();
            return ([.. Seeds.OnceFailed, .. fresh], Count("MODEL_SWEEP_TESTS", 50));
        }

        return ([.. Seeds.OnceFailed, .. Seeds.Fixed], TestsPerSeed);
    }

    private static int Count(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : fallback;

    public static void RunSeed(string testName, OperationMix mix, ulong seed, int tests)
    {
        var replay = new Replay(new Rnd(seed), FSharpOption<int>.None);
        var config = Config.QuickThrowOnFailure.WithMaxTest(tests).WithQuietOnSuccess(true).WithReplay(FSharpOption<Replay>.Some(replay));
        try
        {
            Check.One(config, new DataDistMachine(OperationsPerTest, mix).ToProperty());
        }
        catch (Exception ex) when (ex is not ModelDisagreementException)
        {
            var testsNote = tests == TestsPerSeed ? "" : $" MODEL_REPLAY_TESTS={tests}";
            throw new ModelDisagreementException(
                $"seed={seed} tests={tests} operations={OperationsPerTest}\n" +
                $"reproduce: MODEL_REPLAY=\"{seed}\"{testsNote} dotnet test tests/LlmDataDist.ModelTests --filter \"FullyQualifiedName~{testName}\"\n" +
                ex.Message,
                ex);
        }
    }
}

/// <summary>The model and the simulator disagreed; the message starts with the seed and the replay command.</summary>
public sealed class ModelDisagreementException(string message, Exception inner) : Exception(message, inner);
