using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Workers.Contracts.Spec;

/// <summary>
/// The id of a host (and so of its command queue <c>host.&lt;id&gt;</c>): lowercase letters, digits, '-' and '.',
/// 1 to 63 characters, starting and ending with a letter or digit.
/// </summary>
public sealed partial record HostId
{
    private HostId(string value) => Value = value;

    /// <summary>The id text.</summary>
    public string Value { get; }

    /// <summary>Accepts a host id, or says why not.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out HostId? id, [NotNullWhen(false)] out string? error)
    {
        id = null;
        error = text switch
        {
            null or "" => "must not be empty",
            { Length: > 63 } => $"must be at most 63 characters, got {text.Length}",
            _ when !Pattern().IsMatch(text) => "may hold only lowercase letters, digits, '-' and '.', and must start and end with a letter or digit",
            _ => null,
        };
        if (error is not null)
        {
            return false;
        }

        id = new HostId(text!);
        return true;
    }

    /// <summary>A host id for text known to be valid; throws otherwise.</summary>
    /// <exception cref="ArgumentException">The text is not a host id.</exception>
    public static HostId From(string text) =>
        TryParse(text, out var id, out var error) ? id : throw new ArgumentException($"'{text}' is not a host id: {error}", nameof(text));

    /// <inheritdoc />
    public override string ToString() => Value;

    [GeneratedRegex("^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
