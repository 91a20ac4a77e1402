using LlmDataDist.ModelTests.Machine;

namespace LlmDataDist.ModelTests;

/// <summary>The CE profile's model against the simulator through the typed client, every operation kind enabled.</summary>
public sealed class ModelProperties
{
    /// <summary>MODEL_MIX=everything also draws the operations that are switched off for known simulator disagreements.</summary>
    [Fact]
    public void Ce_simulator_agrees_with_the_reference_model() =>
        ModelRunner.Run(nameof(Ce_simulator_agrees_with_the_reference_model), Environment.GetEnvironmentVariable("MODEL_MIX") == "everything" ? OperationMix.Everything : OperationMix.All);
}
