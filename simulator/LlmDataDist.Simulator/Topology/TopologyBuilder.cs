namespace LlmDataDist.Simulator;

/// <summary>Builds a custom <see cref="Topology"/>: add servers, then NPUs with the ports they have.</summary>
/// <example><code>
/// var b = new TopologyBuilder("two-box");
/// var s0 = b.AddServer("custom", hostMemoryBytes: 1L &lt;&lt; 40);
/// b.AddNpu(s0, 32L &lt;&lt; 30, hccs: HardwareDefaults.A2Hccs, roce: HardwareDefaults.A2Roce, pcie: HardwareDefaults.Pcie4);
/// var topology = b.Build();
/// </code></example>
/// <param name="name">Topology name, shown in traces and reports.</param>
public sealed class TopologyBuilder(string name)
{
    private readonly List<ServerInfo> _servers = [];
    private readonly List<(NpuInfo Npu, LinkParameters? Hccs, LinkParameters? Roce, LinkParameters? Pcie)> _npus = [];

    /// <summary>The topology name.</summary>
    public string Name { get; } = name ?? throw new ArgumentNullException(nameof(name));

    /// <summary>The platform whose calibrated paths price engine transfers; null (the default) prices them by the
    /// ports' own timing.</summary>
    public Platform? Platform { get; set; }

    /// <summary>The path timings used with <see cref="Platform"/>; null means <see cref="Simulator.LatencyModel.Default"/>
    /// when a platform is set.</summary>
    public LatencyModel? LatencyModel { get; set; }

    /// <summary>Adds a server.</summary>
    /// <param name="model">Model name.</param>
    /// <param name="hostMemoryBytes">Host memory capacity.</param>
    /// <param name="hccsDomain">HCCS domain; by default the server's own index (HCCS stays inside the server).</param>
    /// <returns>The server index.</returns>
    public int AddServer(string model, long hostMemoryBytes, int? hccsDomain = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegative(hostMemoryBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hostMemoryBytes, SimAddress.SpaceBytesMax);
        var index = _servers.Count;
        _servers.Add(new ServerInfo(index, model, hostMemoryBytes, hccsDomain ?? index));
        return index;
    }

    /// <summary>Adds an NPU to a server; its device id is the count of NPUs already in that server.</summary>
    /// <param name="server">Server index.</param>
    /// <param name="hbmBytes">Device memory capacity.</param>
    /// <param name="hccs">HCCS port timing, or null for none.</param>
    /// <param name="roce">RoCE port timing, or null for none.</param>
    /// <param name="pcie">PCIe timing, or null for none.</param>
    /// <returns>The global NPU id.</returns>
    public int AddNpu(int server, long hbmBytes, LinkParameters? hccs, LinkParameters? roce, LinkParameters? pcie)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(server);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(server, _servers.Count);
        ArgumentOutOfRangeException.ThrowIfNegative(hbmBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hbmBytes, SimAddress.SpaceBytesMax);
        hccs?.Validate();
        roce?.Validate();
        pcie?.Validate();
        var id = _npus.Count;
        var deviceId = _npus.Count(n => n.Npu.ServerIndex == server);
        _npus.Add((new NpuInfo(id, server, deviceId, hbmBytes), hccs, roce, pcie));
        return id;
    }

    /// <summary>Builds the topology: links are numbered per NPU in the order HCCS out/in, RoCE out/in, PCIe out/in.</summary>
    /// <returns>The topology.</returns>
    public Topology Build()
    {
        var links = new List<LinkInfo>();
        var ports = new int[_npus.Count * Topology.PortsPerNpu];
        Array.Fill(ports, -1);
        foreach (var (npu, hccs, roce, pcie) in _npus)
        {
            AddPorts(npu.Id, LinkKind.Hccs, hccs);
            AddPorts(npu.Id, LinkKind.Roce, roce);
            AddPorts(npu.Id, LinkKind.Pcie, pcie);
        }

        return new Topology(Name, [.. _servers], [.. _npus.Select(n => n.Npu)], [.. links], ports,
            [.. _npus.Select(n => (n.Hccs, n.Roce, n.Pcie))], Platform, Platform is null ? null : LatencyModel ?? Simulator.LatencyModel.Default);

        void AddPorts(int npu, LinkKind kind, LinkParameters? parameters)
        {
            if (parameters is null)
            {
                return;
            }

            foreach (var direction in (ReadOnlySpan<LinkDirection>)[LinkDirection.Out, LinkDirection.In])
            {
                ports[Topology.PortIndex(npu, kind, direction)] = links.Count;
                links.Add(new LinkInfo(links.Count, LinkInfo.NameOf(npu, kind, direction), kind, direction, npu, parameters));
            }
        }
    }
}
