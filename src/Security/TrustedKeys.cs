using Workers.Contracts.Messages;

namespace Workers.Security;

/// <summary>
/// The control plane's public keys an agent accepts commands from: more than one while a key is rotated (the new key
/// is added to every agent, the functions switch to it, the old key is removed).
/// </summary>
public sealed class TrustedKeys
{
    private readonly Dictionary<string, PublicSigningKey> _byId;

    public TrustedKeys(IEnumerable<PublicSigningKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _byId = keys.DistinctBy(k => k.KeyId).ToDictionary(k => k.KeyId, StringComparer.Ordinal);
        if (_byId.Count == 0)
        {
            throw new ArgumentException("at least one key is needed", nameof(keys));
        }
    }

    public IReadOnlyCollection<PublicSigningKey> Keys => _byId.Values;

    /// <summary>Null when <paramref name="message"/> is signed by one of these keys; otherwise why it is refused.</summary>
    public string? Refusal(ISignedMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Signature is not { } signature)
        {
            return "it is not signed";
        }

        return _byId.TryGetValue(signature.KeyId, out var key)
            ? key.Refusal(message)
            : $"it is signed with key {signature.KeyId}, which is not one of the trusted control-plane keys ({string.Join(", ", _byId.Keys)})";
    }

    /// <summary>
    /// Reads a comma-separated list of keys (each a base64 key, or the path of a file holding one per line, such as the
    /// functions' <c>control.pub</c>).
    /// </summary>
    public static bool TryParse(string text, out TrustedKeys? keys, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parsed = new List<PublicSigningKey>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var lines = File.Exists(item) ? File.ReadAllLines(item).Select(l => l.Trim()).Where(l => l.Length > 0) : [item];
            foreach (var line in lines)
            {
                if (!PublicSigningKey.TryParse(line, out var key, out var problem))
                {
                    keys = null;
                    error = $"'{(line.Length > 24 ? line[..24] + "…" : line)}' {problem}";
                    return false;
                }

                parsed.Add(key!);
            }
        }

        if (parsed.Count == 0)
        {
            keys = null;
            error = "names no key";
            return false;
        }

        keys = new TrustedKeys(parsed);
        error = null;
        return true;
    }
}
