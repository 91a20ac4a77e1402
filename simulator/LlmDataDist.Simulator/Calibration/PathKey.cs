namespace LlmDataDist.Simulator;

/// <summary>What one set of fitted timing constants applies to: a platform, a transport, one or two servers, an engine
/// path and a direction (one row of the HIXL table).</summary>
/// <param name="Platform">A2 or A3.</param>
/// <param name="Transport">HCCS or RoCE (PCIe is not a device-to-device transport).</param>
/// <param name="Scope">One server or two.</param>
/// <param name="Path">hixl_cs or comm domain.</param>
/// <param name="Direction">Push (D2rD) or pull (rD2D).</param>
public readonly record struct PathKey(Platform Platform, LinkKind Transport, LinkScope Scope, TransferPath Path, TransferDirection Direction)
{
    /// <summary>Every key a platform can have, in a fixed order (A2 has no HCCS between servers).</summary>
    public static IReadOnlyList<PathKey> All { get; } = [.. Enumerate()];

    /// <summary>Whether the hardware has this combination (HCCS joins A2 NPUs only inside one server).</summary>
    public bool Exists => Transport is LinkKind.Hccs or LinkKind.Roce && !(Platform == Platform.A2 && Transport == LinkKind.Hccs && Scope == LinkScope.TwoServers);

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Platform} {Transport.ToString().ToUpperInvariant()} {CalibrationCsv.ScopeText(Scope)} {CalibrationCsv.PathText(Path)} {CalibrationCsv.DirectionText(Direction)}";

    private static IEnumerable<PathKey> Enumerate()
    {
        foreach (var platform in new[] { Platform.A2, Platform.A3 })
        {
            foreach (var transport in new[] { LinkKind.Hccs, LinkKind.Roce })
            {
                foreach (var scope in new[] { LinkScope.OneServer, LinkScope.TwoServers })
                {
                    foreach (var path in new[] { TransferPath.HixlCs, TransferPath.CommDomain })
                    {
                        foreach (var direction in new[] { TransferDirection.Push, TransferDirection.Pull })
                        {
                            var key = new PathKey(platform, transport, scope, path, direction);
                            if (key.Exists)
                            {
                                yield return key;
                            }
                        }
                    }
                }
            }
        }
    }
}
