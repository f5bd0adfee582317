using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Workers.Contracts.Spec;

/// <summary>
/// The user a container's process runs as, as Docker's <c>--user</c> takes it: <c>user</c> or <c>user:group</c>, each
/// a numeric id (0 to 2147483647) or a name (letters, digits, '_', '.', '-', starting with a letter or '_', at most
/// 32 characters). A name must exist in the image's <c>/etc/passwd</c> (or <c>/etc/group</c>); the engine checks
/// that when it starts the container.
/// </summary>
public sealed partial record ContainerUser
{
    private ContainerUser(string value) => Value = value;

    /// <summary>The text Docker is given.</summary>
    public string Value { get; }

    /// <summary>Accepts a user (and group), or says why not.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out ContainerUser? user, [NotNullWhen(false)] out string? error)
    {
        user = null;
        if (string.IsNullOrEmpty(text))
        {
            error = "must not be empty; leave 'user' out to run as the image's user";
            return false;
        }

        var parts = text.Split(':');
        if (parts.Length > 2)
        {
            error = $"'{Shorten(text)}' is not 'user' or 'user:group'";
            return false;
        }

        foreach (var (part, what) in parts.Zip(new[] { "user", "group" }))
        {
            if (PartError(part, what) is { } partError)
            {
                error = partError;
                return false;
            }
        }

        (user, error) = (new ContainerUser(text), null);
        return true;
    }

    /// <summary>A user known to be valid; throws otherwise.</summary>
    /// <exception cref="ArgumentException">The text is not a user.</exception>
    public static ContainerUser From(string text) =>
        TryParse(text, out var user, out var error) ? user : throw new ArgumentException(error, nameof(text));

    /// <inheritdoc />
    public override string ToString() => Value;

    private static string? PartError(string part, string what)
    {
        if (part.Length == 0)
        {
            return $"the {what} must not be empty";
        }

        if (part.All(char.IsAsciiDigit))
        {
            return long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id <= int.MaxValue
                ? null
                : $"the {what} id must be between 0 and {int.MaxValue}, got {Shorten(part)}";
        }

        return Name().IsMatch(part)
            ? null
            : $"the {what} '{Shorten(part)}' is neither an id nor a name (letters, digits, '_', '.', '-', starting with a letter or '_', at most 32 characters)";
    }

    private static string Shorten(string text) => text.Length > 40 ? text[..40] + "…" : text;

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_.-]{0,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex Name();
}
