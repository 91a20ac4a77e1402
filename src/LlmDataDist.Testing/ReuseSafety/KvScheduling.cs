using System.Globalization;

namespace LlmDataDist.Testing;

/// <summary>One request the reuse-safety harness hands a scheduler: its KV sits in <paramref name="PromptBlocks"/> of
/// the prompt's cache, written with a pattern unique to the request.</summary>
/// <param name="Id">The request's number in the workload.</param>
/// <param name="PromptClusterId">The prompt that prefilled it.</param>
/// <param name="PromptCache">The prompt's KV cache.</param>
/// <param name="PromptBlocks">The request's blocks in that cache.</param>
public sealed record KvRequest(int Id, ulong PromptClusterId, Cache PromptCache, IReadOnlyList<ulong> PromptBlocks);

/// <summary>Where a scheduler put a request's KV: blocks of a decoder's cache, in the order of the prompt blocks.</summary>
/// <param name="DecoderClusterId">The decoder.</param>
/// <param name="Blocks">Its blocks now holding the request's KV.</param>
public sealed record KvPlacement(ulong DecoderClusterId, IReadOnlyList<ulong> Blocks);

/// <summary>The code under test: a scheduler that moves each request's KV from its prompt to decoder blocks it picks,
/// and takes the blocks back when the request has been served. It handles failed pulls itself (its recovery).</summary>
public interface IKvScheduler
{
    /// <summary>Moves the request's KV into blocks of a decoder.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The placement, or null when the scheduler could not place it (no room, or the pull failed for good).</returns>
    Task<KvPlacement?> PlaceAsync(KvRequest request);

    /// <summary>The request has been served: its decoder blocks may be reused.</summary>
    /// <param name="request">The request.</param>
    /// <param name="placement">Where <see cref="PlaceAsync"/> put it.</param>
    /// <returns>When done.</returns>
    Task ReleaseAsync(KvRequest request, KvPlacement placement);
}

/// <summary>One instance of a <see cref="KvDeployment"/>: its cluster id, its typed client and its KV cache (the pool).</summary>
/// <param name="ClusterId">The cluster id.</param>
/// <param name="Client">The initialized client.</param>
/// <param name="Cache">The KV pool: one row per block.</param>
public sealed record KvInstance(ulong ClusterId, LlmDataDistClient Client, Cache Cache);

/// <summary>One request of a <see cref="KvWorkload"/>.</summary>
/// <param name="Prompt">Which prompt prefilled it (modulo the prompt count).</param>
/// <param name="Blocks">KV blocks, at least 1.</param>
/// <param name="GapMs">Virtual ms after the previous arrival.</param>
/// <param name="ServeMs">Virtual ms the decoder serves it once placed (it holds its blocks that long).</param>
public sealed record KvWorkloadRequest(int Prompt, int Blocks, int GapMs, int ServeMs)
{
    /// <summary><c>prompt:blocks:gapMs:serveMs</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Prompt}:{Blocks}:{GapMs}:{ServeMs}");
}

/// <summary>Requests arriving one after another; prints as text that <see cref="Parse"/> reads back, for replay.</summary>
/// <param name="Requests">The requests, in arrival order.</param>
public sealed record KvWorkload(IReadOnlyList<KvWorkloadRequest> Requests)
{
    /// <summary>Reads the form <see cref="ToString"/> prints: requests as <c>prompt:blocks:gapMs:serveMs</c>, separated by spaces.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The workload.</returns>
    /// <exception cref="FormatException">The text is not in that form.</exception>
    public static KvWorkload Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var requests = new List<KvWorkloadRequest>();
        foreach (var item in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = item.Split(':');
            if (parts.Length != 4 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            {
                throw new FormatException($"'{item}' is not prompt:blocks:gapMs:serveMs (whole numbers)");
            }

            var n = parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            if (n[1] < 1)
            {
                throw new FormatException($"'{item}': a request has at least one block");
            }

            requests.Add(new KvWorkloadRequest(n[0], n[1], n[2], n[3]));
        }

        return new KvWorkload(requests);
    }

    /// <summary>Equal when the requests are equal, in order.</summary>
    /// <param name="other">The other workload.</param>
    /// <returns>Whether they are equal.</returns>
    public bool Equals(KvWorkload? other) => other is not null && Requests.SequenceEqual(other.Requests);

    /// <inheritdoc/>
    public override int GetHashCode() => Requests.Count;

    /// <summary>The requests as <c>prompt:blocks:gapMs:serveMs</c>, separated by spaces.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => string.Join(' ', Requests);
}
