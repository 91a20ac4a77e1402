namespace LlmDataDist.Simulator;

/// <summary>
/// Default hardware figures of the presets. Each value's public source, and the calibration error of the link
/// timings against measured bandwidth, are in docs/latency-model.md; values marked "assumption" there have no
/// published figure and were chosen so they do not affect the calibrated points.
/// </summary>
public static class HardwareDefaults
{
    /// <summary>NPUs in an Atlas 800I A2 server.</summary>
    public const int A2NpusPerServer = 8;

    /// <summary>Dies in an Atlas 800I A3 server (8 Ascend 910C packages of 2 dies).</summary>
    public const int A3DiesPerServer = 16;

    /// <summary>Servers in one A3 super-node (CloudMatrix384: 384 packages, 8 per server).</summary>
    public const int A3ServersPerSuperNode = 48;

    /// <summary>HBM of one 910B NPU or one 910C die: 64 GB, taken as 64 GiB since HBM stacks come in powers of two.</summary>
    public const long HbmBytes = 64L << 30;

    /// <summary>Host memory per server (assumption: no published figure in our references).</summary>
    public const long HostMemoryBytes = 1L << 40;

    /// <summary>Latency of one HCCS hop (assumption: 128 MiB transfers cannot resolve it; docs/latency-model.md).</summary>
    public const long HccsHopLatencyNs = 1_000;

    /// <summary>Latency of one RoCE hop (assumption, of the order of RDMA one-way latencies).</summary>
    public const long RoceHopLatencyNs = 2_000;

    /// <summary>Mean seeded jitter per HCCS hop (assumption).</summary>
    public const long HccsJitterNsMean = 100;

    /// <summary>Mean seeded jitter per RoCE hop (assumption).</summary>
    public const long RoceJitterNsMean = 200;

    /// <summary>A2 HCCS port, from <see cref="LatencyModel.Default"/> (fitted to the published HIXL table): capacity the
    /// fastest A2 HCCS path's bandwidth, per-block cost the cheapest path's.</summary>
    public static LinkParameters A2Hccs => LatencyModel.Default.Port(Platform.A2, LinkKind.Hccs);

    /// <summary>A2 RoCE port (200 Gb/s), from <see cref="LatencyModel.Default"/>.</summary>
    public static LinkParameters A2Roce => LatencyModel.Default.Port(Platform.A2, LinkKind.Roce);

    /// <summary>A3 HCCS port of one die, from <see cref="LatencyModel.Default"/>.</summary>
    public static LinkParameters A3Hccs => LatencyModel.Default.Port(Platform.A3, LinkKind.Hccs);

    /// <summary>A3 RoCE port of one die (200 Gb/s), from <see cref="LatencyModel.Default"/>.</summary>
    public static LinkParameters A3Roce => LatencyModel.Default.Port(Platform.A3, LinkKind.Roce);

    /// <summary>PCIe 4.0 x16 host to device, about 21-25 GB/s effective; 22 GB/s taken.</summary>
    public static LinkParameters Pcie4 { get; } = new(22_000_000_000, 1_500, 1_000, 100);
}
