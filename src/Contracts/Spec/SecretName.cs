using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Workers.Contracts.Spec;

/// <summary>
/// The name of a secret: an RFC 1123 DNS label (lowercase letters, digits and '-', 1 to 63 characters, starting and
/// ending with a letter or digit), so that it is safe in commands, paths and messages. A spec holds only the name.
/// </summary>
public sealed partial record SecretName
{
    private SecretName(string value) => Value = value;

    /// <summary>The name text.</summary>
    public string Value { get; }

    /// <summary>Accepts a secret name, or says why not.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out SecretName? name, [NotNullWhen(false)] out string? error)
    {
        name = null;
        error = text switch
        {
            null or "" => "must not be empty",
            { Length: > 63 } => $"must be at most 63 characters, got {text.Length}",
            _ when !Pattern().IsMatch(text) => "may hold only lowercase letters, digits and '-', and must start and end with a letter or digit",
            _ => null,
        };
        if (error is not null)
        {
            return false;
        }

        name = new SecretName(text!);
        return true;
    }

    /// <summary>A secret name for text known to be valid; throws otherwise.</summary>
    /// <exception cref="ArgumentException">The text is not a secret name.</exception>
    public static SecretName From(string text) =>
        TryParse(text, out var name, out var error) ? name : throw new ArgumentException($"'{text}' is not a secret name: {error}", nameof(text));

    /// <inheritdoc />
    public override string ToString() => Value;

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
