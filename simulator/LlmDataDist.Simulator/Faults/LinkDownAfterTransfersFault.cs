namespace LlmDataDist.Simulator;

/// <summary>Links go down when a transfer starts that would be the (<paramref name="Transfers"/> + 1)-th to cross
/// one of them: the first <paramref name="Transfers"/> are unaffected (unless still in flight), the next one finds
/// the link down. They come back after <paramref name="ForNs"/>.</summary>
/// <param name="Link">Link pattern.</param>
/// <param name="Transfers">Transfers allowed over the matched links before the fault.</param>
/// <param name="ForNs">How long they stay down; <see cref="long.MaxValue"/> for ever.</param>
public sealed record LinkDownAfterTransfersFault(string Link, long Transfers, long ForNs = long.MaxValue) : ScheduledFault;
