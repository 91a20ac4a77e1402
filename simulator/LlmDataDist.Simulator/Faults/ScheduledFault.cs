namespace LlmDataDist.Simulator;

/// <summary>One scripted fault of a <see cref="FaultPlan"/>. Faults are data: records that print readably, so a
/// failing plan can be pasted back into a test. Links are named by pattern: an exact name (<c>npu3.roce.tx</c>), a
/// prefix ending in <c>*</c> (<c>npu3.*</c>), or <c>*</c> for all.</summary>
public abstract record ScheduledFault;
