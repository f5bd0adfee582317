using System.Globalization;
using System.Text.Json;

namespace Workers.HostAgent.Amqp;

/// <summary>Reads and writes <see cref="MessageEnvelope"/>s as MassTransit's serializer does, without reflection.</summary>
public static class EnvelopeCodec
{
    /// <summary>The AMQP content type MassTransit gives its JSON envelope.</summary>
    public const string ContentType = "application/vnd.masstransit+json";

    public static byte[] Write(MessageEnvelope envelope) => JsonSerializer.SerializeToUtf8Bytes(envelope, EnvelopeJson.Info<MessageEnvelope>());

    /// <summary>The envelope in <paramref name="body"/>; throws <see cref="JsonException"/> when it is none.</summary>
    public static MessageEnvelope Read(ReadOnlySpan<byte> body) =>
        JsonSerializer.Deserialize(body, EnvelopeJson.Info<MessageEnvelope>()) ?? throw new JsonException("the body holds no message envelope");

    /// <summary>
    /// An envelope for <paramref name="message"/>, with the correlation id MassTransit takes from a message's own
    /// <c>CorrelationId</c> property.
    /// </summary>
    public static MessageEnvelope Envelope(object message, WireType type, Uri source, Uri destination)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        var body = type.Write(message);
        return new MessageEnvelope
        {
            MessageId = Guid.NewGuid().ToString(),
            CorrelationId = CorrelationId(body),
            SourceAddress = source.ToString(),
            DestinationAddress = destination.ToString(),
            MessageType = type.Urns,
            Message = body,
            SentTime = DateTime.UtcNow,
            Headers = new Dictionary<string, JsonElement>(),
            Host = BusHostInfo.Current,
        };
    }

    /// <summary>The message's <c>correlationId</c>, as MassTransit's convention for a Guid property of that name finds it.</summary>
    public static string? CorrelationId(JsonElement message) =>
        message.ValueKind == JsonValueKind.Object && message.TryGetProperty("correlationId", out var id) && id.TryGetGuid(out var guid)
            ? guid.ToString()
            : null;

    /// <summary>A Guid field of the envelope (MassTransit writes them as <c>D</c>-formatted strings).</summary>
    public static Guid? Id(string? text) => Guid.TryParse(text, CultureInfo.InvariantCulture, out var id) ? id : null;
}
