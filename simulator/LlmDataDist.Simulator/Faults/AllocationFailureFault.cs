namespace LlmDataDist.Simulator;

/// <summary>The <paramref name="Nth"/> allocation attempt (from 1) on <paramref name="Npu"/>'s HBM fails, as if the
/// pool were exhausted. <paramref name="Npu"/> = -1 matches every NPU (each counts its own attempts).</summary>
/// <param name="Npu">NPU id, or -1 for any.</param>
/// <param name="Nth">Which attempt fails, from 1.</param>
public sealed record AllocationFailureFault(int Npu, long Nth) : ScheduledFault;
