using System.Collections;
using System.Collections.Immutable;

namespace Workers.Contracts.Spec;

/// <summary>
/// A spec's environment variables, ordered by name (ordinal), literal or secret references, that compares by its
/// entries. <see cref="Literals"/> and <see cref="Secrets"/> are the two kinds apart.
/// </summary>
public sealed class EnvMap : IReadOnlyDictionary<string, EnvValue>, IEquatable<EnvMap>
{
    private readonly ImmutableSortedDictionary<string, EnvValue> _entries;

    /// <summary>Copies the entries; names are case-sensitive.</summary>
    /// <param name="entries">The entries; a name may appear once.</param>
    public EnvMap(IEnumerable<KeyValuePair<string, EnvValue>> entries)
    {
        _entries = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, entries);
        Literals = new ValueMap(_entries.Where(e => !e.Value.IsSecret).Select(e => new KeyValuePair<string, string>(e.Key, e.Value.Literal!)));
        Secrets = _entries.Where(e => e.Value.IsSecret).ToImmutableSortedDictionary(e => e.Key, e => e.Value.Secret!, StringComparer.Ordinal);
    }

    /// <summary>The empty map.</summary>
    public static EnvMap Empty { get; } = new([]);

    /// <summary>The literal variables, by name.</summary>
    public ValueMap Literals { get; }

    /// <summary>The variables that refer to a secret, by name, with the secret's name.</summary>
    public IReadOnlyDictionary<string, SecretName> Secrets { get; }

    /// <inheritdoc />
    public int Count => _entries.Count;

    /// <inheritdoc />
    public IEnumerable<string> Keys => _entries.Keys;

    /// <inheritdoc />
    public IEnumerable<EnvValue> Values => _entries.Values;

    /// <inheritdoc />
    public EnvValue this[string key] => _entries[key];

    /// <inheritdoc />
    public bool ContainsKey(string key) => _entries.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, out EnvValue value) => _entries.TryGetValue(key, out value!);

    /// <inheritdoc />
    public bool Equals(EnvMap? other) =>
        other is not null && Count == other.Count && _entries.SequenceEqual(other._entries);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as EnvMap);

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
    public IEnumerator<KeyValuePair<string, EnvValue>> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
