using System.Text.RegularExpressions;

namespace Workers.Contracts.Spec.Documents;

/// <summary>Formats paths into a spec: <c>$</c>, <c>ports[1].host</c>, <c>env.LOG_LEVEL</c>, <c>env["a.b"]</c>.</summary>
internal static partial class SpecPath
{
    public const string Root = "$";

    public static string Field(string parent, string key)
    {
        if (PlainKey().IsMatch(key))
        {
            return parent == Root ? key : $"{parent}.{key}";
        }

        var quoted = key.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
        if (quoted.Length > 64)
        {
            quoted = string.Concat(quoted.AsSpan(0, 64), "…");
        }

        return $"{parent}[\"{quoted}\"]";
    }

    public static string Index(string parent, int index) => $"{parent}[{index}]";

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainKey();
}
