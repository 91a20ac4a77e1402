using System.Collections.Immutable;
using FsCheck;
using FsCheck.Experimental;
using FsCheck.Fluent;
using LlmDataDist.ModelTests.Model;
using Microsoft.FSharp.Collections;

namespace LlmDataDist.ModelTests.Machine;

/// <summary>
/// The FsCheck state machine: random sequences of the 15 methods (CE profile: Register/Unregister are not generated
/// there, see docs/model-based-testing.md) over four clusters, each run on a fresh simulated world and on the model.
/// </summary>
public sealed class DataDistMachine(int maxOperations, OperationMix mix) : Machine<Sut, ModelWorld>(maxOperations)
{
    private static readonly ImmutableArray<Slot> Slots = Slot.Default;

    public override Arbitrary<Setup<Sut, ModelWorld>> Setup =>
        Arb.From(Gen.Choose(1, 1_000_000).Select(s => (Setup<Sut, ModelWorld>)new Fresh((ulong)s)), s => ((Fresh)s).Seed > 1 ? [new Fresh(1)] : []);

    public override TearDown<Sut> TearDown => new Dispose();

    public override Gen<Operation<Sut, ModelWorld>> Next(ModelWorld m) =>
        Generators.Command(m, mix).Select(c => (Operation<Sut, ModelWorld>)new Step(c));

    /// <summary>FsCheck shortens the list; then each command is tried with simpler arguments (Shrinks).</summary>
    public override IEnumerable<FSharpList<Operation<Sut, ModelWorld>>> ShrinkOperations(FSharpList<Operation<Sut, ModelWorld>> s)
    {
        foreach (var shorter in base.ShrinkOperations(s))
        {
            yield return shorter;
        }

        var ops = s.ToArray();
        for (var i = 0; i < ops.Length; i++)
        {
            if (ops[i] is not Step step)
            {
                continue;
            }

            foreach (var simpler in Shrinks.Of(step.Command))
            {
                var copy = (Operation<Sut, ModelWorld>[])ops.Clone();
                copy[i] = new Step(simpler);
                yield return ListModule.OfArray(copy);
            }
        }
    }

    private sealed class Fresh(ulong seed) : Setup<Sut, ModelWorld>
    {
        public ulong Seed => seed;

        public override Sut Actual() => new(seed, Slots);

        public override ModelWorld Model() => ModelWorld.Initial(Slots);

        public override string ToString() => $"fresh 2-server A2 world, world seed {seed}, clusters {string.Join(" ", Slots)}";
    }

    private sealed class Dispose : TearDown<Sut>
    {
        public override void Actual(Sut actual) => actual.Dispose();

        public override string ToString() => "dispose";
    }
}

/// <summary>One call: the model predicts (Run), the simulator answers through the typed client (Check).</summary>
public sealed class Step(Command command) : Operation<Sut, ModelWorld>
{
    public Command Command => command;

    public override bool Pre(ModelWorld m) => Generators.Applicable(m, command);

    public override ModelWorld Run(ModelWorld m) => Reference.Apply(m, command);

    public override Property Check(Sut sut, ModelWorld after)
    {
        var actual = Driver.Execute(sut, command);
        var expected = after.Last;
        // Thrown rather than returned: FsCheck then stops the run at the first disagreement and prints this text.
        if (actual.ToString() != expected.ToString())
        {
            throw new DisagreementException($"DISAGREEMENT at {command}: simulator {actual}, model {expected}");
        }

        var bytes = Agreement.Bytes(sut, after);
        if (bytes is not null)
        {
            throw new DisagreementException($"DISAGREEMENT at {command} -> {actual}: {bytes}");
        }

        return true.ToProperty();
    }

    public override string ToString() => command.ToString();
}

/// <summary>The simulator answered differently from the model.</summary>
public sealed class DisagreementException(string message) : Exception(message);

/// <summary>After every step: the same caches exist, and every byte of every tensor is the model's.</summary>
public static class Agreement
{
    public static string? Bytes(Sut sut, ModelWorld model)
    {
        var expectedKeys = model.Clusters.SelectMany(c => c.Caches.Keys.Select(id => (c.Slot.Index, id))).ToArray();
        var actualKeys = sut.Caches.Keys.ToArray();
        if (!expectedKeys.SequenceEqual(actualKeys))
        {
            return $"caches differ: simulator [{string.Join(",", actualKeys)}], model [{string.Join(",", expectedKeys)}]";
        }

        foreach (var cluster in model.Clusters)
        {
            foreach (var cache in cluster.Caches.Values)
            {
                var handle = sut.Caches[(cluster.Slot.Index, cache.Id)];
                for (var t = 0; t < cache.NumTensors; t++)
                {
                    var actual = sut.Read(handle.TensorAddrs[t], cache.TensorBytes);
                    var expected = cache.Tensors[t].AsSpan();
                    if (!expected.SequenceEqual(actual))
                    {
                        var at = 0;
                        while (actual[at] == expected[at])
                        {
                            at++;
                        }

                        return $"bytes differ in c{cluster.Id} cache #{cache.Id} tensor {t} from byte {at} (row {at / cache.Stride}): simulator {Hex(actual.AsSpan(at))}, model {Hex(expected[at..])}";
                    }
                }
            }
        }

        return null;
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes[..Math.Min(8, bytes.Length)]);
}
