using System.Globalization;

namespace Workers.Contracts.Spec.Documents;

/// <summary>Typed access to nodes that reports, rather than throws, every mismatch.</summary>
internal class NodeReader(ProblemList problems)
{
    protected ProblemList Problems { get; } = problems;

    /// <summary>The known fields of a map; unknown keys are reported with a "did you mean" when one is close.</summary>
    public Dictionary<string, (ScalarNode Key, Node Value)>? Fields(Node node, string path, params string[] known)
    {
        if (node is not MappingNode mapping)
        {
            TypeMismatch(node, path, "a map");
            return null;
        }

        var fields = new Dictionary<string, (ScalarNode, Node)>(StringComparer.Ordinal);
        foreach (var (key, value) in mapping.Entries)
        {
            if (Array.IndexOf(known, key.Text) >= 0)
            {
                fields[key.Text] = (key, value);
                continue;
            }

            var suggestion = Suggest(key.Text, known);
            Problems.Add(key, SpecPath.Field(path, key.Text), "field.unknown", suggestion is null
                ? $"unknown key '{Shorten(key.Text)}'; expected one of: {string.Join(", ", known)}"
                : $"unknown key '{Shorten(key.Text)}'; did you mean '{suggestion}'?");
        }

        return fields;
    }

    public void Required(Dictionary<string, (ScalarNode Key, Node Value)> fields, Node parent, string path, string name)
    {
        if (!fields.ContainsKey(name))
        {
            Problems.Add(parent, SpecPath.Field(path, name), "field.required", $"'{name}' is required");
        }
    }

    /// <summary>A string scalar; numbers and booleans are refused so that a typo does not become a value.</summary>
    public string? String(Node node, string path)
    {
        if (node is ScalarNode { Kind: ScalarKind.String } scalar)
        {
            return scalar.Text;
        }

        TypeMismatch(node, path, "a string");
        return null;
    }

    /// <summary>Any scalar but null, as its text (for environment values, commands and quantities).</summary>
    public string? Text(Node node, string path, string expected = "a string")
    {
        if (node is ScalarNode { Kind: not ScalarKind.Null } scalar)
        {
            return scalar.Text;
        }

        TypeMismatch(node, path, expected);
        return null;
    }

    public long? Integer(Node node, string path)
    {
        if (node is not ScalarNode { Kind: ScalarKind.Number } scalar)
        {
            TypeMismatch(node, path, "an integer");
            return null;
        }

        var text = scalar.Text;
        var digits = text.TrimStart('+', '-');
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit))
        {
            Problems.Add(node, path, "type.mismatch", $"expected an integer, got {Shorten(text)}");
            return null;
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            Problems.Add(node, path, "number.overflow", $"the number {Shorten(text)} is too large");
            return null;
        }

        return value;
    }

    public bool? Boolean(Node node, string path)
    {
        if (node is ScalarNode { Kind: ScalarKind.Boolean } scalar)
        {
            return scalar.Text is "true" or "True" or "TRUE";
        }

        TypeMismatch(node, path, "true or false");
        return null;
    }

    public SequenceNode? Sequence(Node node, string path)
    {
        if (node is SequenceNode sequence)
        {
            return sequence;
        }

        TypeMismatch(node, path, "a list");
        return null;
    }

    public void TypeMismatch(Node node, string path, string expected)
    {
        var got = node is ScalarNode { Kind: not ScalarKind.Null } scalar
            ? $"{node.Describe()} ({Quote(scalar)})"
            : node.Describe();
        Problems.Add(node, path, "type.mismatch", $"expected {expected}, got {got}");
    }

    internal static string Shorten(string text) => text.Length > 40 ? text[..40] + "…" : text;

    private static string Quote(ScalarNode scalar) => scalar.Kind == ScalarKind.String ? $"\"{Shorten(scalar.Text)}\"" : Shorten(scalar.Text);

    /// <summary>The known key closest to <paramref name="key"/>, if it is close enough to be a typo.</summary>
    internal static string? Suggest(string key, string[] known) => Spelling.Closest(key, known);
}
