namespace LlmDataDist.Simulator;

/// <summary>
/// Servers, NPUs and their ports, immutable once built. Each NPU has up to three full-duplex ports (HCCS, RoCE,
/// PCIe), each modeled as two directed links; a transfer crosses the source's out-link and the destination's in-link,
/// so traffic into or out of one NPU shares that NPU's port bandwidth.
/// </summary>
public sealed class Topology
{
    internal const int PortsPerNpu = 6;

    private readonly int[] _ports;
    private readonly (LinkParameters? Hccs, LinkParameters? Roce, LinkParameters? Pcie)[] _portParameters;
    private readonly Dictionary<string, LinkInfo> _linksByName;

    internal Topology(string name, ServerInfo[] servers, NpuInfo[] npus, LinkInfo[] links, int[] ports,
        (LinkParameters? Hccs, LinkParameters? Roce, LinkParameters? Pcie)[] portParameters, Platform? platform, LatencyModel? latencyModel)
    {
        Name = name;
        Platform = platform;
        LatencyModel = latencyModel;
        Servers = servers;
        Npus = npus;
        Links = links;
        _ports = ports;
        _portParameters = portParameters;
        _linksByName = links.ToDictionary(l => l.Name, StringComparer.Ordinal);
    }

    /// <summary>Topology name.</summary>
    public string Name { get; }

    /// <summary>Servers by index.</summary>
    public IReadOnlyList<ServerInfo> Servers { get; }

    /// <summary>NPUs by global id.</summary>
    public IReadOnlyList<NpuInfo> Npus { get; }

    /// <summary>Directed links by id.</summary>
    public IReadOnlyList<LinkInfo> Links { get; }

    /// <summary>The platform whose calibrated paths price transfers, or null for a custom topology priced by its ports.</summary>
    public Platform? Platform { get; }

    /// <summary>The per-path timings transfers are priced with (with <see cref="Platform"/>), or null.</summary>
    public LatencyModel? LatencyModel { get; }

    /// <summary>Atlas 800I A2 servers: 8 NPUs each with 64 GiB HBM, HCCS among the 8 of a server, one 200 Gb/s RoCE
    /// port per NPU between servers, PCIe 4.0 to the host.</summary>
    /// <param name="servers">Number of servers.</param>
    /// <param name="latencyModel">Path timings and port figures; null for <see cref="LatencyModel.Default"/> (the
    /// published HIXL table). Use <see cref="LatencyModel.Fit(CalibrationData)"/> to run on your own measurements.</param>
    /// <returns>The topology.</returns>
    public static Topology A2(int servers = 1, LatencyModel? latencyModel = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(servers);
        var model = latencyModel ?? LatencyModel.Default;
        return Uniform($"A2x{servers}", Simulator.Platform.A2, servers, HardwareDefaults.A2NpusPerServer, HardwareDefaults.HbmBytes,
            model.Port(Simulator.Platform.A2, LinkKind.Hccs), model.Port(Simulator.Platform.A2, LinkKind.Roce), serversPerSuperNode: null, model);
    }

    /// <summary>Atlas 800I A3 servers: 16 dies each with 64 GiB HBM, HCCS across all servers of a super-node, one
    /// 200 Gb/s RoCE port per die (used between super-nodes, or when asked for), PCIe 4.0 to the host.</summary>
    /// <param name="servers">Number of servers.</param>
    /// <param name="serversPerSuperNode">Servers per super-node; consecutive servers fill super-nodes in order.</param>
    /// <param name="latencyModel">Path timings and port figures; null for <see cref="LatencyModel.Default"/>.</param>
    /// <returns>The topology.</returns>
    public static Topology A3(int servers = 1, int serversPerSuperNode = HardwareDefaults.A3ServersPerSuperNode, LatencyModel? latencyModel = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(servers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(serversPerSuperNode);
        var model = latencyModel ?? LatencyModel.Default;
        return Uniform($"A3x{servers}", Simulator.Platform.A3, servers, HardwareDefaults.A3DiesPerServer, HardwareDefaults.HbmBytes,
            model.Port(Simulator.Platform.A3, LinkKind.Hccs), model.Port(Simulator.Platform.A3, LinkKind.Roce), serversPerSuperNode, model);
    }

    /// <summary>Servers of one platform, all alike, in the shape of the presets (<see cref="A2"/>, <see cref="A3"/>) with any
    /// figures: the form a what-if on a preset takes.</summary>
    /// <param name="name">The topology's name.</param>
    /// <param name="platform">The platform: its server model, and the calibrated paths that price engine transfers.</param>
    /// <param name="servers">Number of servers.</param>
    /// <param name="npusPerServer">NPUs (dies) per server.</param>
    /// <param name="hbmBytes">HBM per NPU.</param>
    /// <param name="hccs">Each NPU's HCCS port.</param>
    /// <param name="roce">Each NPU's RoCE port.</param>
    /// <param name="serversPerSuperNode">Servers per HCCS domain, filled in order; null for one domain per server.</param>
    /// <param name="latencyModel">Path timings and port figures.</param>
    /// <returns>The topology.</returns>
    public static Topology Uniform(string name, Platform platform, int servers, int npusPerServer, long hbmBytes, LinkParameters hccs, LinkParameters roce,
        int? serversPerSuperNode, LatencyModel latencyModel)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(servers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(npusPerServer);
        var builder = new TopologyBuilder(name) { Platform = platform, LatencyModel = latencyModel };
        for (var s = 0; s < servers; s++)
        {
            var server = builder.AddServer(platform == Simulator.Platform.A2 ? "Atlas 800I A2" : "Atlas 800I A3", HardwareDefaults.HostMemoryBytes, s / serversPerSuperNode);
            for (var d = 0; d < npusPerServer; d++)
            {
                builder.AddNpu(server, hbmBytes, hccs, roce, HardwareDefaults.Pcie4);
            }
        }

        return builder.Build();
    }

    /// <summary>Reads the JSON form written by <see cref="ToJson"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="latencyModel">Path timings when the document names a platform; null for <see cref="LatencyModel.Default"/>.</param>
    /// <returns>The topology.</returns>
    public static Topology FromJson(string json, LatencyModel? latencyModel = null) => TopologyJson.Read(json, latencyModel);

    /// <summary>Writes the topology as indented JSON: servers, and NPUs with their port timings.</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson() => TopologyJson.Write(this);

    /// <summary>The link with this name.</summary>
    /// <param name="name">A name such as <c>npu3.roce.tx</c>.</param>
    /// <returns>The link.</returns>
    /// <exception cref="KeyNotFoundException">No such link.</exception>
    public LinkInfo GetLink(string name) =>
        _linksByName.TryGetValue(name, out var link) ? link : throw new KeyNotFoundException($"no link named '{name}' in {Name}");

    /// <summary>Links matching a pattern: an exact name, a prefix ending in <c>*</c> (<c>npu3.*</c>), or <c>*</c>.</summary>
    /// <param name="pattern">The pattern.</param>
    /// <returns>Matching links in id order; empty when none match.</returns>
    public IReadOnlyList<LinkInfo> MatchLinks(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (pattern.EndsWith('*'))
        {
            var prefix = pattern[..^1];
            return [.. Links.Where(l => l.Name.StartsWith(prefix, StringComparison.Ordinal))];
        }

        return _linksByName.TryGetValue(pattern, out var link) ? [link] : [];
    }

    /// <summary>The directed link of an NPU's port, if it has that port.</summary>
    /// <param name="npu">NPU id.</param>
    /// <param name="kind">Transport.</param>
    /// <param name="direction">Direction.</param>
    /// <returns>The link, or null.</returns>
    public LinkInfo? Port(int npu, LinkKind kind, LinkDirection direction)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(npu);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(npu, Npus.Count);
        var id = _ports[PortIndex(npu, kind, direction)];
        return id < 0 ? null : Links[id];
    }

    /// <summary>The NPUs of one server, by device id.</summary>
    /// <param name="server">Server index.</param>
    /// <returns>The NPUs.</returns>
    public IReadOnlyList<NpuInfo> NpusOf(int server) => [.. Npus.Where(n => n.ServerIndex == server)];

    /// <summary>Route between two NPUs; see <see cref="FindRoute(Endpoint, Endpoint, LinkKind?)"/>.</summary>
    /// <param name="sourceNpu">Source NPU id.</param>
    /// <param name="destinationNpu">Destination NPU id.</param>
    /// <param name="via">Transport to use, or null for the default.</param>
    /// <returns>The route.</returns>
    public Route FindRoute(int sourceNpu, int destinationNpu, LinkKind? via = null) =>
        FindRoute(Endpoint.Npu(sourceNpu), Endpoint.Npu(destinationNpu), via);

    /// <summary>
    /// The hops of a transfer. Same NPU: no hop. NPUs of one HCCS domain (a server on A2, a super-node on A3):
    /// source HCCS out, destination HCCS in. Otherwise: source RoCE out, destination RoCE in. Host to an NPU of the same
    /// server: that NPU's PCIe in; NPU to its host: PCIe out. <paramref name="via"/> forces a transport, e.g. RoCE
    /// inside one server as HIXL allows.
    /// </summary>
    /// <param name="source">Where data comes from.</param>
    /// <param name="destination">Where data goes.</param>
    /// <param name="via">Transport to use, or null for the default.</param>
    /// <returns>The route.</returns>
    /// <exception cref="ArgumentException">No such route (missing port, host of another server, host to host).</exception>
    public Route FindRoute(Endpoint source, Endpoint destination, LinkKind? via = null) =>
        TryFindRoute(source, destination, via, out var route, out var why) ? route : throw new ArgumentException($"no route {source}->{destination}: {why}");

    /// <summary>
    /// The route of an engine transfer between two NPUs, priced by the calibrated path it takes: the platform, the
    /// transport of the route, one or two servers, the engine path and the direction select the timing in
    /// <see cref="LatencyModel"/>. Without a platform or a timing for that path, the route keeps its ports' timing.
    /// </summary>
    /// <param name="sourceNpu">Where the data is (the remote NPU of a pull).</param>
    /// <param name="destinationNpu">Where it goes.</param>
    /// <param name="path">The engine path (CE and the HX default backend: comm domain; HX with hixl: hixl_cs).</param>
    /// <param name="direction">Push (the source NPU drives) or pull (the destination drives).</param>
    /// <param name="via">Transport to use, or null for the default (HCCS inside an HCCS domain, else RoCE).</param>
    /// <returns>The priced route.</returns>
    /// <exception cref="ArgumentException">No such route.</exception>
    public Route FindRoute(int sourceNpu, int destinationNpu, TransferPath path, TransferDirection direction, LinkKind? via = null)
    {
        var route = FindRoute(sourceNpu, destinationNpu, via);
        return PathKeyOf(route, path, direction) is { } key && LatencyModel?.Timing(key) is { } timing ? route.WithTiming(timing) : route;
    }

    /// <summary>Which calibrated path an NPU-to-NPU route over HCCS or RoCE takes, or null (same NPU, host memory, or
    /// a topology without a platform).</summary>
    /// <param name="route">The route.</param>
    /// <param name="path">The engine path.</param>
    /// <param name="direction">The direction.</param>
    /// <returns>The key, or null.</returns>
    public PathKey? PathKeyOf(Route route, TransferPath path, TransferDirection direction)
    {
        ArgumentNullException.ThrowIfNull(route);
        if (Platform is not { } platform || route.Hops.Count == 0 || route.Source.Kind != EndpointKind.Npu || route.Destination.Kind != EndpointKind.Npu
            || route.Hops[0].Kind is not (LinkKind.Hccs or LinkKind.Roce))
        {
            return null;
        }

        var sameServer = Npus[route.Source.Index].ServerIndex == Npus[route.Destination.Index].ServerIndex;
        return new PathKey(platform, route.Hops[0].Kind, sameServer ? LinkScope.OneServer : LinkScope.TwoServers, path, direction);
    }

    /// <summary>Like <see cref="FindRoute(Endpoint, Endpoint, LinkKind?)"/>, without throwing.</summary>
    /// <param name="source">Where data comes from.</param>
    /// <param name="destination">Where data goes.</param>
    /// <param name="via">Transport to use, or null for the default.</param>
    /// <param name="route">The route, when found.</param>
    /// <returns>Whether a route exists.</returns>
    public bool TryFindRoute(Endpoint source, Endpoint destination, LinkKind? via, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Route? route) =>
        TryFindRoute(source, destination, via, out route, out _);

    internal static int PortIndex(int npu, LinkKind kind, LinkDirection direction) => (npu * PortsPerNpu) + ((int)kind * 2) + (int)direction;

    internal (LinkParameters? Hccs, LinkParameters? Roce, LinkParameters? Pcie) PortParameters(int npu) => _portParameters[npu];

    private bool TryFindRoute(Endpoint source, Endpoint destination, LinkKind? via,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Route? route, out string why)
    {
        route = null;
        if (!Exists(source) || !Exists(destination))
        {
            why = "unknown endpoint";
            return false;
        }

        if (source.Kind == EndpointKind.Host && destination.Kind == EndpointKind.Host)
        {
            why = "host to host is not modeled";
            return false;
        }

        if (source.Kind == EndpointKind.Host || destination.Kind == EndpointKind.Host)
        {
            var npu = Npus[source.Kind == EndpointKind.Npu ? source.Index : destination.Index];
            var server = source.Kind == EndpointKind.Host ? source.Index : destination.Index;
            if (npu.ServerIndex != server || via is not (null or LinkKind.Pcie))
            {
                why = "host memory reaches only the NPUs of its own server, over PCIe";
                return false;
            }

            var pcie = Port(npu.Id, LinkKind.Pcie, source.Kind == EndpointKind.Npu ? LinkDirection.Out : LinkDirection.In);
            why = "the NPU has no PCIe port";
            route = pcie is null ? null : new Route(source, destination, [pcie]);
            return route is not null;
        }

        if (source.Index == destination.Index)
        {
            why = "";
            route = new Route(source, destination, []);
            return true;
        }

        var a = Npus[source.Index];
        var b = Npus[destination.Index];
        var sameDomain = Servers[a.ServerIndex].HccsDomain == Servers[b.ServerIndex].HccsDomain;
        var kind = via ?? (sameDomain ? LinkKind.Hccs : LinkKind.Roce);
        if (kind == LinkKind.Pcie || (kind == LinkKind.Hccs && !sameDomain))
        {
            why = $"{kind} does not connect {a} and {b}";
            return false;
        }

        var outLink = Port(a.Id, kind, LinkDirection.Out);
        var inLink = Port(b.Id, kind, LinkDirection.In);
        if (outLink is null || inLink is null)
        {
            why = $"missing {kind} port";
            return false;
        }

        why = "";
        route = new Route(source, destination, [outLink, inLink]);
        return true;
    }

    private bool Exists(Endpoint endpoint) => endpoint.Index >= 0 &&
        endpoint.Index < (endpoint.Kind == EndpointKind.Npu ? Npus.Count : Servers.Count);
}
