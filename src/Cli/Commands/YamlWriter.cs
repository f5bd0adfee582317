using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Workers.Cli.Commands;

/// <summary>
/// Writes a JSON document as block-style YAML for <c>-o yaml</c>: the same fields and values as <c>-o json</c>. A string
/// that YAML could read as something else (a number, a boolean, null, or one with special characters) is written
/// double-quoted with JSON's escapes, which YAML reads alike.
/// </summary>
internal static class YamlWriter
{
    public static string Write(JsonElement element)
    {
        var output = new StringBuilder();
        Write(output, element, 0, inline: false);
        return output.ToString().TrimEnd('\n');
    }

    private static void Write(StringBuilder output, JsonElement element, int indent, bool inline)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object when element.EnumerateObject().Any():
                var first = true;
                foreach (var property in element.EnumerateObject())
                {
                    if (!(first && inline))
                    {
                        output.Append(' ', indent);
                    }

                    first = false;
                    output.Append(Scalar(property.Name)).Append(':');
                    Nested(output, property.Value, indent);
                }

                break;
            case JsonValueKind.Array when element.GetArrayLength() > 0:
                var firstItem = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!(firstItem && inline))
                    {
                        output.Append(' ', indent);
                    }

                    firstItem = false;
                    output.Append("- ");
                    if (item.ValueKind is JsonValueKind.Object or JsonValueKind.Array && Any(item))
                    {
                        Write(output, item, indent + 2, inline: true);
                    }
                    else
                    {
                        output.Append(Leaf(item)).Append('\n');
                    }
                }

                break;
            default:
                output.Append(Leaf(element)).Append('\n');
                break;
        }
    }

    private static void Nested(StringBuilder output, JsonElement value, int indent)
    {
        if (value.ValueKind == JsonValueKind.Object && Any(value))
        {
            output.Append('\n');
            Write(output, value, indent + 2, inline: false);
        }
        else if (value.ValueKind == JsonValueKind.Array && Any(value))
        {
            output.Append('\n');
            Write(output, value, indent, inline: false);
        }
        else
        {
            output.Append(' ').Append(Leaf(value)).Append('\n');
        }
    }

    private static bool Any(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object ? element.EnumerateObject().Any() : element.GetArrayLength() > 0;

    private static string Leaf(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "{}",
        JsonValueKind.Array => "[]",
        JsonValueKind.String => Scalar(element.GetString()!),
        JsonValueKind.Number => element.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => "null",
    };

    private static string Scalar(string text)
    {
        var plain = text.Length > 0
            && !char.IsWhiteSpace(text[0]) && !char.IsWhiteSpace(text[^1])
            && "-?:,[]{}#&*!|>'\"%@`~".IndexOf(text[0], StringComparison.Ordinal) < 0
            && !text.Contains(": ", StringComparison.Ordinal) && !text.Contains(" #", StringComparison.Ordinal)
            && !text.EndsWith(':')
            && text.All(c => c >= ' ' && c != '\u007F')
            && !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            && text.ToLowerInvariant() is not ("true" or "false" or "null" or "~" or "yes" or "no" or "on" or "off" or ".inf" or "-.inf" or ".nan")
            && !text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && !text.StartsWith("0o", StringComparison.OrdinalIgnoreCase);
        return plain ? text : JsonSerializer.Serialize(text, YamlStringJson);
    }

    private static readonly JsonSerializerOptions YamlStringJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
