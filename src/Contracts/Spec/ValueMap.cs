using System.Collections;
using System.Collections.Immutable;

namespace Workers.Contracts.Spec;

/// <summary>An immutable string map, ordered by key (ordinal), that compares by its entries.</summary>
public sealed class ValueMap : IReadOnlyDictionary<string, string>, IEquatable<ValueMap>
{
    private readonly ImmutableSortedDictionary<string, string> _entries;

    /// <summary>Copies the entries; keys are case-sensitive.</summary>
    /// <param name="entries">The entries; a key may appear once.</param>
    public ValueMap(IEnumerable<KeyValuePair<string, string>> entries) =>
        _entries = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, entries);

    /// <summary>The empty map.</summary>
    public static ValueMap Empty { get; } = new([]);

    /// <inheritdoc />
    public int Count => _entries.Count;

    /// <inheritdoc />
    public IEnumerable<string> Keys => _entries.Keys;

    /// <inheritdoc />
    public IEnumerable<string> Values => _entries.Values;

    /// <inheritdoc />
    public string this[string key] => _entries[key];

    /// <inheritdoc />
    public bool ContainsKey(string key) => _entries.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, out string value) => _entries.TryGetValue(key, out value!);

    /// <summary>True when every entry of <paramref name="required"/> is in this map with the same value.</summary>
    /// <param name="required">The entries that must be present.</param>
    public bool Contains(ValueMap required) =>
        required._entries.All(entry => _entries.TryGetValue(entry.Key, out var value) && value == entry.Value);

    /// <inheritdoc />
    public bool Equals(ValueMap? other) =>
        other is not null && Count == other.Count && _entries.SequenceEqual(other._entries);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ValueMap);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        foreach (var (key, value) in _entries)
        {
            hash.Add(key);
            hash.Add(value);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
