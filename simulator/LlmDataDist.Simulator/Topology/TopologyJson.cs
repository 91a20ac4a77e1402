using System.Text.Json;
using System.Text.Json.Serialization;

namespace LlmDataDist.Simulator;

/// <summary>The JSON form of a topology: servers, and NPUs with the timing of each port they have. Links are not
/// stored: they follow from the ports, so a file cannot disagree with itself.</summary>
internal static class TopologyJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        RespectNullableAnnotations = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static string Write(Topology topology)
    {
        var document = new TopologyDocument(
            topology.Name,
            topology.Platform,
            [.. topology.Servers.Select(s => new ServerDocument(s.Model, s.HostMemoryBytes, s.HccsDomain))],
            [.. topology.Npus.Select(n =>
            {
                var (hccs, roce, pcie) = topology.PortParameters(n.Id);
                return new NpuDocument(n.ServerIndex, n.HbmBytes, hccs, roce, pcie);
            })]);
        return JsonSerializer.Serialize(document, Options);
    }

    public static Topology Read(string json, LatencyModel? latencyModel)
    {
        ArgumentNullException.ThrowIfNull(json);
        var document = JsonSerializer.Deserialize<TopologyDocument>(json, Options)
            ?? throw new JsonException("a topology document is an object, not null");
        // A platform prices engine transfers with the default latency model; FromJson takes another (e.g. fitted).
        var builder = new TopologyBuilder(document.Name) { Platform = document.Platform, LatencyModel = latencyModel };
        foreach (var server in document.Servers)
        {
            builder.AddServer(server.Model, server.HostMemoryBytes, server.HccsDomain);
        }

        foreach (var npu in document.Npus)
        {
            builder.AddNpu(npu.Server, npu.HbmBytes, npu.Hccs, npu.Roce, npu.Pcie);
        }

        return builder.Build();
    }

    internal sealed record TopologyDocument(string Name, Platform? Platform, IReadOnlyList<ServerDocument> Servers, IReadOnlyList<NpuDocument> Npus);

    internal sealed record ServerDocument(string Model, long HostMemoryBytes, int HccsDomain);

    internal sealed record NpuDocument(int Server, long HbmBytes, LinkParameters? Hccs, LinkParameters? Roce, LinkParameters? Pcie);
}
