using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Workers.Contracts.Spec;

/// <summary>
/// Puts a <see cref="DeploymentSpec"/> on the wire in the spec's own JSON form and parses it again when read, so a
/// message that carries an invalid spec fails to deserialize instead of reaching a handler.
/// </summary>
public sealed class DeploymentSpecJsonConverter : JsonConverter<DeploymentSpec>
{
    /// <inheritdoc />
    public override DeploymentSpec Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        var result = SpecParser.Parse(Encoding.UTF8.GetBytes(document.RootElement.GetRawText()), "message", SpecFormat.Json);
        return result.IsValid
            ? result.Spec
            : throw new JsonException("the message carries an invalid spec: " + string.Join("; ", result.Problems.Take(5).Select(p => $"{p.Path}: {p.Message}")));
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, DeploymentSpec value, JsonSerializerOptions options) =>
        SpecWriter.Write(writer, value);
}
