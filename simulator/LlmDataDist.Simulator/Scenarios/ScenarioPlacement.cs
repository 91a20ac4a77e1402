namespace LlmDataDist.Simulator.Scenarios;

/// <summary>
/// Where the instances of an xPyD scenario go: one NPU each, given as global NPU ids (<see cref="NpuInfo.Id"/>, the
/// <c>npuN</c> of link names). A placement decides which transport each prompt/decoder pair uses: NPUs of one HCCS
/// domain (a server on A2, a super-node on A3) pair over HCCS, others over RoCE.
/// </summary>
/// <param name="PromptNpus">The NPU of each prompt instance, in instance order.</param>
/// <param name="DecoderNpus">The NPU of each decoder instance, in instance order.</param>
public sealed record ScenarioPlacement(IReadOnlyList<int> PromptNpus, IReadOnlyList<int> DecoderNpus)
{
    /// <summary>Prompts fill the first server(s), decoders start on the next server: 1P1D on two A2 servers crosses
    /// RoCE. When the servers cannot keep them apart, decoders follow the prompts directly. The scenario's default.</summary>
    /// <param name="topology">The topology.</param>
    /// <param name="prompts">Prompt instances.</param>
    /// <param name="decoders">Decoder instances.</param>
    /// <returns>The placement.</returns>
    /// <exception cref="ArgumentException">The topology has fewer NPUs than instances.</exception>
    public static ScenarioPlacement Packed(Topology topology, int prompts, int decoders)
    {
        var npus = Ordered(topology, prompts, decoders);
        var perServer = Math.Max(1, topology.NpusOf(0).Count); // a custom topology's first server may have no NPU
        var decoderStart = Math.Max(prompts, perServer * ((prompts + perServer - 1) / perServer));
        if (decoderStart + decoders > npus.Count)
        {
            decoderStart = prompts; // not enough servers to separate them: share
        }

        return new([.. npus.Take(prompts).Select(n => n.Id)], [.. npus.Skip(decoderStart).Take(decoders).Select(n => n.Id)]);
    }

    /// <summary>Prompts and decoders alternate NPU by NPU (in proportion P:D), filling servers in order: every server
    /// holds both roles, so pairs inside a server (an HCCS domain) move KV over HCCS.</summary>
    /// <param name="topology">The topology.</param>
    /// <param name="prompts">Prompt instances.</param>
    /// <param name="decoders">Decoder instances.</param>
    /// <returns>The placement.</returns>
    /// <exception cref="ArgumentException">The topology has fewer NPUs than instances.</exception>
    public static ScenarioPlacement Interleaved(Topology topology, int prompts, int decoders)
    {
        var npus = Ordered(topology, prompts, decoders);
        var total = prompts + decoders;
        var (p, d) = (new List<int>(prompts), new List<int>(decoders));
        for (var slot = 0; slot < total; slot++)
        {
            // Slot k is a prompt when ceil(k P / (P + D)) steps up there: P:D spread evenly, a prompt first.
            var isPrompt = Ceiling((long)(slot + 1) * prompts, total) > Ceiling((long)slot * prompts, total);
            (isPrompt ? p : d).Add(npus[slot].Id);
        }

        return new(p, d);
    }

    private static long Ceiling(long value, long divisor) => (value + divisor - 1) / divisor;

    private static List<NpuInfo> Ordered(Topology topology, int prompts, int decoders)
    {
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(prompts);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(decoders);
        if (prompts + decoders > topology.Npus.Count)
        {
            throw new ArgumentException($"{prompts}P{decoders}D needs {prompts + decoders} NPUs; {topology.Name} has {topology.Npus.Count}", nameof(topology));
        }

        return [.. topology.Npus.OrderBy(n => n.ServerIndex).ThenBy(n => n.DeviceId)];
    }
}
