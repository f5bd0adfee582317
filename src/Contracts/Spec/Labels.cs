using System.Text.RegularExpressions;

namespace Workers.Contracts.Spec;

/// <summary>The rules for host labels, as Kubernetes has them: names like <c>zone</c> or <c>example.com/tier</c>, short plain values.</summary>
public static partial class Labels
{
    /// <summary>The rule for a label name, for messages.</summary>
    public const string KeyRule = "use letters, digits, '-', '_', '.' and '/', starting and ending with a letter or digit, at most 253 characters";

    /// <summary>The rule for a label value, for messages.</summary>
    public const string ValueRule = "use at most 63 letters, digits, '-', '_' and '.'";

    /// <summary>True when <paramref name="key"/> is a valid label name.</summary>
    /// <param name="key">The candidate.</param>
    public static bool IsKey(string key) => key.Length <= 253 && KeyPattern().IsMatch(key);

    /// <summary>True when <paramref name="value"/> is a valid label value.</summary>
    /// <param name="value">The candidate.</param>
    public static bool IsValue(string value) => ValuePattern().IsMatch(value);

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();

    [GeneratedRegex("^[A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex ValuePattern();
}
