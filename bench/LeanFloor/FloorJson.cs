using System.Text.Json.Serialization;
using Workers.Contracts.Messages;

namespace Workers.Bench.LeanFloor;

/// <summary>The fields of MassTransit's JSON envelope a consumer of the heartbeat reads.</summary>
internal sealed record Envelope(Guid MessageId, Guid CorrelationId, string DestinationAddress, string[] MessageType, HostHeartbeat Message, DateTimeOffset SentTime);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Envelope))]
internal sealed partial class FloorJson : JsonSerializerContext;
