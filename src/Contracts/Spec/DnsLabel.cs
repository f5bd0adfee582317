using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Workers.Contracts.Spec;

/// <summary>
/// A deployment name: an RFC 1123 DNS label that starts with a letter (a-z, 0-9 and '-', 1 to 63 characters,
/// no trailing '-'), so that it is safe in container names, labels and queue names.
/// </summary>
public sealed partial record DnsLabel
{
    private DnsLabel(string value) => Value = value;

    /// <summary>The label text.</summary>
    public string Value { get; }

    /// <summary>Accepts a DNS label, or says why not.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out DnsLabel? label, [NotNullWhen(false)] out string? error)
    {
        label = null;
        error = text switch
        {
            null or "" => "must not be empty",
            { Length: > 63 } => $"must be at most 63 characters, got {text.Length}",
            _ when !char.IsAsciiLetterLower(text[0]) => "must start with a lowercase letter (a-z)",
            _ when text[^1] == '-' => "must not end with '-'",
            _ when !Pattern().IsMatch(text) => "may hold only lowercase letters, digits and '-'",
            _ => null,
        };
        if (error is not null)
        {
            return false;
        }

        label = new DnsLabel(text!);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Value;

    [GeneratedRegex("^[a-z0-9-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
