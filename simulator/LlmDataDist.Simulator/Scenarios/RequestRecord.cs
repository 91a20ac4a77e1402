namespace LlmDataDist.Simulator.Scenarios;

/// <summary>What happened to one request, in virtual ns.</summary>
/// <param name="Id">Request number.</param>
/// <param name="Prompt">Prompt instance index.</param>
/// <param name="Decoder">Decoder instance index (-1 when it never reached one).</param>
/// <param name="Tokens">Prompt tokens.</param>
/// <param name="Blocks">KV blocks.</param>
/// <param name="Bytes">KV bytes moved.</param>
/// <param name="ArrivalNs">Arrival.</param>
/// <param name="PullStartNs">The pull started (0 when none); layer-wise overlapping prefill, its first call.</param>
/// <param name="PullEndNs">The pull ended (0 when none).</param>
/// <param name="Outcome">"ok", a status name, or why it was dropped.</param>
/// <param name="Verified">With real bytes: the decoder's blocks equal the prompt's.</param>
/// <param name="LinkClass">Transport of the prompt-to-decoder route: "hccs", "roce", or "-" when no pull was made.</param>
/// <param name="Attempts">Pull attempts (more than one after a broken link was rebuilt and the pull retried).</param>
public sealed record RequestRecord(int Id, int Prompt, int Decoder, int Tokens, int Blocks, long Bytes, long ArrivalNs, long PullStartNs, long PullEndNs,
    string Outcome, bool? Verified, string LinkClass = "-", int Attempts = 0)
{
    /// <summary>Whether the KV cache reached the decoder.</summary>
    public bool Succeeded => Outcome == "ok";

    /// <summary>Time of the pull.</summary>
    public long PullNs => PullEndNs - PullStartNs;

    /// <summary>Arrival to KV on the decoder (time to first token, minus the first decode step).</summary>
    public long ReadyNs => PullEndNs - ArrivalNs;

    /// <summary>The prompt finished computing the request's last layer (0 when prefill never ran).</summary>
    public long PrefillEndNs { get; init; }

    /// <summary>Exposed transfer: KV on the decoder minus prefill end, the part of the transfer on the time-to-first-token
    /// path (all of it when the KV moves after prefill; the last layer group's share when layer-wise transfer overlaps it).</summary>
    public long ExposedNs => PullEndNs - PrefillEndNs;
}
