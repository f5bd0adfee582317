using System.Collections.Frozen;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Azure.Messaging.ServiceBus;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

namespace Workers.Transport.ServiceBus;

/// <summary>
/// How a Workers message travels on Service Bus. The body is the contract record as plain JSON (camelCase, enums as
/// strings, a spec in the spec's own JSON form); the broker properties carry what routing and de-duplication need:
/// <c>ContentType</c> <c>application/json</c>, <c>MessageId</c> and <c>CorrelationId</c> copied from the contract,
/// <c>Subject</c> the contract's short name, and the application properties <c>messageType</c> (the contract's full
/// name) and, on host commands, <c>hostId</c>; sent inside a span, W3C trace context too (<c>traceparent</c>, and
/// <c>tracestate</c> when there is one), so the receiver's span continues the sender's trace. This is not MassTransit's
/// envelope: the two transports do not mix.
/// </summary>
public static class ServiceBusEnvelope
{
    /// <summary>Missing members, nulls where the contract allows none and unknown enum names all fail the read.</summary>
    internal static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        // Build-time metadata (ServiceBusJson), so that an agent compiled ahead of time reads and writes the same JSON.
        TypeInfoResolver = ServiceBusJson.Default,
        Converters =
        {
            new JsonStringEnumConverter<Protocol>(allowIntegerValues: false),
            new JsonStringEnumConverter<SpecFormat>(allowIntegerValues: false),
            new JsonStringEnumConverter<SecretOutcome>(allowIntegerValues: false),
            new JsonStringEnumConverter<DeploymentState>(allowIntegerValues: false),
            new JsonStringEnumConverter<LogsProblem>(allowIntegerValues: false),
            new JsonStringEnumConverter<ReplicaState>(allowIntegerValues: false),
            new JsonStringEnumConverter<ReplicaHealth>(allowIntegerValues: false),
        },
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>
    /// The contracts, by full name: the only types a body is ever read as. A name from the wire is looked up here and
    /// never handed to <see cref="Type.GetType(string)"/>.
    /// </summary>
    public static FrozenDictionary<string, ContractType> Contracts { get; } = ServiceBusJson.Contracts
        .ToFrozenDictionary(t => t.FullName!, t => new ContractType(t, JsonOptions.GetTypeInfo(t)), StringComparer.Ordinal);

    /// <summary>The Service Bus message for a contract; <paramref name="hostId"/> only for a command to one host.</summary>
    /// <exception cref="ArgumentException">The object is not a Workers contract.</exception>
    public static ServiceBusMessage Create(object message, string? hostId = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        var contract = Contract(message.GetType());
        var outgoing = new ServiceBusMessage(BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(message, contract.Json)))
        {
            ContentType = ServiceBusTopology.ContentType,
            MessageId = contract.MessageId(message).ToString("D"),
            CorrelationId = contract.CorrelationId(message).ToString("D"),
            Subject = contract.Type.Name,
        };
        outgoing.ApplicationProperties[ServiceBusTopology.MessageTypeProperty] = contract.Type.FullName;
        if (hostId is not null)
        {
            outgoing.ApplicationProperties[ServiceBusTopology.HostIdProperty] = hostId;
        }

        if (Activity.Current is { } activity)
        {
            DistributedContextPropagator.Current.Inject(activity, outgoing.ApplicationProperties, static (carrier, name, value) =>
            {
                if (carrier is IDictionary<string, object> properties && value is not null)
                {
                    properties[name] = value;
                }
            });
        }

        return outgoing;
    }

    /// <summary>The sender's span from the message's <c>traceparent</c> and <c>tracestate</c>; default when it has none or it is malformed.</summary>
    public static ActivityContext TraceParent(ServiceBusReceivedMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        DistributedContextPropagator.Current.ExtractTraceIdAndState(message.ApplicationProperties, static (carrier, name, out value, out values) =>
        {
            values = null;
            value = carrier is IReadOnlyDictionary<string, object> properties && properties.TryGetValue(name, out var found) ? found as string : null;
        }, out var traceParent, out var traceState);
        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var parent) ? parent : default;
    }

    /// <summary>Reads a received message as the contract its <c>messageType</c> names, or says why it cannot be one.</summary>
    public static EnvelopeRead Read(ServiceBusReceivedMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!string.Equals(message.ContentType, ServiceBusTopology.ContentType, StringComparison.OrdinalIgnoreCase))
        {
            return EnvelopeRead.Fail(DeadLetterReasons.UnsupportedContentType, $"content type '{message.ContentType}' is not {ServiceBusTopology.ContentType}");
        }

        if (!message.ApplicationProperties.TryGetValue(ServiceBusTopology.MessageTypeProperty, out var name) || name is not string typeName)
        {
            return EnvelopeRead.Fail(DeadLetterReasons.UnknownMessageType, $"the message has no string '{ServiceBusTopology.MessageTypeProperty}' property");
        }

        if (!Contracts.TryGetValue(typeName, out var contract))
        {
            return EnvelopeRead.Fail(DeadLetterReasons.UnknownMessageType, $"'{Truncate(typeName, 200)}' is not a Workers message type");
        }

        try
        {
            return JsonSerializer.Deserialize(message.Body.ToMemory().Span, contract.Json) is { } body
                ? EnvelopeRead.Ok(body)
                : EnvelopeRead.Fail(DeadLetterReasons.MalformedBody, $"the body of a {contract.Type.Name} is JSON null");
        }
        catch (JsonException e)
        {
            // JsonException messages name the path and the problem, never the body.
            return EnvelopeRead.Fail(DeadLetterReasons.MalformedBody, $"the body is not a valid {contract.Type.Name}: {Truncate(e.Message, 900)}");
        }
    }

    internal static ContractType Contract(Type type) =>
        Contracts.TryGetValue(type.FullName ?? string.Empty, out var contract) && contract.Type == type
            ? contract
            : throw new ArgumentException($"{type} is not a Workers message contract", nameof(type));

    internal static string Truncate(string text, int length) => text.Length <= length ? text : text[..length] + "…";
}

/// <summary>A contract type and the ids every contract carries.</summary>
public sealed class ContractType
{
    private readonly JsonPropertyInfo _messageId;
    private readonly JsonPropertyInfo _correlationId;

    internal ContractType(Type type, JsonTypeInfo json)
    {
        Type = type;
        Json = json;
        _messageId = Id(json, nameof(StartReplicas.MessageId));
        _correlationId = Id(json, nameof(StartReplicas.CorrelationId));
    }

    public Type Type { get; }

    /// <summary>How its body is read and written.</summary>
    internal JsonTypeInfo Json { get; }

    public Guid MessageId(object message) => (Guid)_messageId.Get!(message)!;

    public Guid CorrelationId(object message) => (Guid)_correlationId.Get!(message)!;

    /// <summary>The id's property as the JSON metadata has it: read without reflection.</summary>
    private static JsonPropertyInfo Id(JsonTypeInfo json, string name)
    {
        var wireName = json.Options.PropertyNamingPolicy?.ConvertName(name) ?? name;
        return json.Properties.SingleOrDefault(p => p.Name == wireName && p.PropertyType == typeof(Guid) && p.Get is not null)
            ?? throw new InvalidOperationException($"{json.Type} has no Guid {name}: it is not a Workers message contract");
    }
}

/// <summary>The outcome of <see cref="ServiceBusEnvelope.Read"/>: the message, or the dead-letter reason and description.</summary>
public sealed record EnvelopeRead
{
    private EnvelopeRead(object? message, string? reason, string? description) => (Message, Reason, Description) = (message, reason, description);

    public object? Message { get; }

    public string? Reason { get; }

    public string? Description { get; }

    internal static EnvelopeRead Ok(object message) => new(message, null, null);

    internal static EnvelopeRead Fail(string reason, string description) => new(null, reason, description);
}

/// <summary>The <c>DeadLetterReason</c> values this transport writes (Service Bus's own, like <c>MaxDeliveryCountExceeded</c>, differ).</summary>
public static class DeadLetterReasons
{
    public const string UnsupportedContentType = "UnsupportedContentType";
    public const string UnknownMessageType = "UnknownMessageType";
    public const string MalformedBody = "MalformedBody";
    public const string MaxDeliveriesExceeded = "MaxDeliveriesExceeded";
    public const string HandlerFailed = "HandlerFailed";
    public const string NoHandler = "NoHandler";
}
