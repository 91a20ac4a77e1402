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

    /// <summary>A2 HCCS port: fitted to HIXL hixl_cs D2rD inside one A2 server (8.9 / 17.8 / 20.3 GB/s).</summary>
    public static LinkParameters A2Hccs { get; } = new(20_300_000_000, 1_000, 1_841, 100);

    /// <summary>A2 RoCE port, 200 Gb/s: fitted to HIXL hixl_cs D2rD between A2 servers (18.3 / 23.6 / 23.8 GB/s).</summary>
    public static LinkParameters A2Roce { get; } = new(23_800_000_000, 2_000, 895, 200);

    /// <summary>A3 HCCS port of one die: fitted to HIXL hixl_cs D2rD inside one A3 server (18.0 / 122.4 / 164.6 GB/s).</summary>
    public static LinkParameters A3Hccs { get; } = new(164_600_000_000, 1_000, 910, 100);

    /// <summary>A3 RoCE port of one die, 200 Gb/s: fitted to HIXL hixl_cs D2rD between A3 servers (18.4 / 23.8 / 23.9 GB/s).</summary>
    public static LinkParameters A3Roce { get; } = new(23_900_000_000, 2_000, 895, 200);

    /// <summary>PCIe 4.0 x16 host to device, about 21-25 GB/s effective; 22 GB/s taken.</summary>
    public static LinkParameters Pcie4 { get; } = new(22_000_000_000, 1_500, 1_000, 100);
}
