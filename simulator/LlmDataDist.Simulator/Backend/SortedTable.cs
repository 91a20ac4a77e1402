using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace LlmDataDist.Simulator.Backend;

/// <summary>
/// A map kept sorted by key for enumeration (an instance lists and walks its links and caches in id order), with a hash
/// index for the lookups every transfer makes (the cache ids of both sides, and a link record's half-open check, which
/// looks its mirror up on the peer): through a sorted tree alone those were a few percent of a long run.
/// </summary>
/// <typeparam name="TKey">The key.</typeparam>
/// <typeparam name="TValue">The value.</typeparam>
/// <param name="membership">Told when a value enters (true) or leaves (false) the table; null for no one.</param>
internal sealed class SortedTable<TKey, TValue>(Action<TValue, bool>? membership = null) : IEnumerable<KeyValuePair<TKey, TValue>>
    where TKey : notnull
    where TValue : class
{
    private readonly SortedDictionary<TKey, TValue> _sorted = [];
    private readonly Dictionary<TKey, TValue> _index = [];

    public int Count => _index.Count;

    public IReadOnlyCollection<TKey> Keys => _sorted.Keys;

    public IReadOnlyCollection<TValue> Values => _sorted.Values;

    public TValue this[TKey key]
    {
        get => _index[key];
        set
        {
            if (_index.TryGetValue(key, out var old) && !ReferenceEquals(old, value))
            {
                membership?.Invoke(old, false);
            }

            _sorted[key] = value;
            _index[key] = value;
            membership?.Invoke(value, true);
        }
    }

    public void Add(TKey key, TValue value)
    {
        _index.Add(key, value);
        _sorted.Add(key, value);
        membership?.Invoke(value, true);
    }

    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value) => _index.TryGetValue(key, out value);

    public bool ContainsKey(TKey key) => _index.ContainsKey(key);

    public TValue? GetValueOrDefault(TKey key) => _index.GetValueOrDefault(key);

    public bool Remove(TKey key) => Remove(key, out _);

    public bool Remove(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        _sorted.Remove(key);
        if (!_index.Remove(key, out value))
        {
            return false;
        }

        membership?.Invoke(value, false);
        return true;
    }

    public void Clear()
    {
        foreach (var value in _index.Values)
        {
            membership?.Invoke(value, false);
        }

        _sorted.Clear();
        _index.Clear();
    }

    public IEnumerator<KeyValuePair<TKey, TValue>> GetEnumerator() => _sorted.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
