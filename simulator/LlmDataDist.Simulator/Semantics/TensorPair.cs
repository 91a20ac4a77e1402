namespace LlmDataDist.Simulator.Semantics;

/// <summary>One source tensor copied to one destination tensor.</summary>
/// <param name="Source">Tensor index in the source cache.</param>
/// <param name="Destination">Tensor index in the destination cache.</param>
public readonly record struct TensorPair(int Source, int Destination);
