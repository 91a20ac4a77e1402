using LlmDataDist.ModelTests.Machine;

namespace LlmDataDist.ModelTests;

/// <summary>The CE profile's model against the simulator through the typed client, every operation kind enabled.</summary>
public sealed class ModelProperties
{
    [Fact]
    public void Ce_simulator_agrees_with_the_reference_model() =>
        ModelRunner.Run(nameof(Ce_simulator_agrees_with_the_reference_model), OperationMix.All);
}
