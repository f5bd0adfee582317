using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

namespace Workers.Functions.Store;

/// <summary>
/// The JSON of the store's columns (heartbeats, replicas' ports, a rejection's problems) with its metadata generated at
/// build time: a process that reads the store (every <c>workers status</c> on the embedded default) does not load and
/// compile System.Text.Json's reflection path for them. Written exactly as before (web defaults, enums as strings), so
/// rows written by earlier builds read the same; other types (the outbox's messages) keep the reflection path.
/// </summary>
internal static class StoreJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        TypeInfoResolver = JsonTypeInfoResolver.Combine(StoreJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(HostHeartbeat))]
[JsonSerializable(typeof(DeploymentSpec))]
[JsonSerializable(typeof(List<PortBinding>))]
[JsonSerializable(typeof(IReadOnlyList<PortBinding>))]
[JsonSerializable(typeof(List<SpecProblem>))]
[JsonSerializable(typeof(IReadOnlyList<SpecProblem>))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;
