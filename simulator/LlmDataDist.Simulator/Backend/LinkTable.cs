using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace LlmDataDist.Simulator.Backend;

/// <summary>
/// An instance's link records by peer cluster id: kept sorted for enumeration (id order, as the instance lists and
/// walks them), with a hash index for the lookups every transfer makes (a record's half-open check looks its mirror
/// up on the peer; through the sorted tree alone that was a few percent of a long run).
/// </summary>
internal sealed class LinkTable : IEnumerable<KeyValuePair<ulong, LinkRecord>>
{
    private readonly SortedDictionary<ulong, LinkRecord> _sorted = [];
    private readonly Dictionary<ulong, LinkRecord> _index = [];

    public int Count => _index.Count;

    public IReadOnlyCollection<ulong> Keys => _sorted.Keys;

    public IReadOnlyCollection<LinkRecord> Values => _sorted.Values;

    public LinkRecord this[ulong peerClusterId]
    {
        get => _index[peerClusterId];
        set
        {
            _sorted[peerClusterId] = value;
            _index[peerClusterId] = value;
        }
    }

    public bool TryGetValue(ulong peerClusterId, [MaybeNullWhen(false)] out LinkRecord record) => _index.TryGetValue(peerClusterId, out record);

    public bool ContainsKey(ulong peerClusterId) => _index.ContainsKey(peerClusterId);

    public LinkRecord? GetValueOrDefault(ulong peerClusterId) => _index.GetValueOrDefault(peerClusterId);

    public bool Remove(ulong peerClusterId) => _sorted.Remove(peerClusterId) & _index.Remove(peerClusterId);

    public void Clear()
    {
        _sorted.Clear();
        _index.Clear();
    }

    public IEnumerator<KeyValuePair<ulong, LinkRecord>> GetEnumerator() => _sorted.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
