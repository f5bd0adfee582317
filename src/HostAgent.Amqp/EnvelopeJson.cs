using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Workers.Contracts.Messages;

namespace Workers.HostAgent.Amqp;

/// <summary>
/// The envelope and the agent's messages as JSON, made at build time, with MassTransit's serializer options
/// (<c>SystemTextJsonMessageSerializer.Options</c>): camelCase names, names read case-insensitively, nulls written,
/// enums as numbers, indented, relaxed escaping.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    AllowTrailingCommas = true,
    ReadCommentHandling = JsonCommentHandling.Skip,
    WriteIndented = true)]
[JsonSerializable(typeof(MessageEnvelope))]
[JsonSerializable(typeof(FaultBody))]
[JsonSerializable(typeof(StartReplicas))]
[JsonSerializable(typeof(StopReplicas))]
[JsonSerializable(typeof(ReadContainerLogs))]
[JsonSerializable(typeof(ReplicaStarted))]
[JsonSerializable(typeof(ReplicaFailed))]
[JsonSerializable(typeof(ReplicaStopped))]
[JsonSerializable(typeof(ReplicaHealthChanged))]
[JsonSerializable(typeof(HostHeartbeat))]
[JsonSerializable(typeof(ReplicaLogsReply))]
internal sealed partial class EnvelopeJson : JsonSerializerContext
{
    /// <summary>The type information for <typeparamref name="T"/> under <see cref="MassTransitJson.Options"/>.</summary>
    public static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)MassTransitJson.Options.GetTypeInfo(typeof(T));
}

/// <summary>
/// The options of <see cref="EnvelopeJson"/> plus MassTransit's encoder, which an attribute cannot name. A class of its
/// own: a static of the context itself could be initialised before the generated <c>Default</c> it refers to.
/// </summary>
internal static class MassTransitJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = EnvelopeJson.Default,
    };
}
