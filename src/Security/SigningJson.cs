using System.Text.Json;
using System.Text.Json.Serialization;
using Workers.Contracts.Messages;

namespace Workers.Security;

/// <summary>
/// The JSON of the signed form (<see cref="MessageSigning"/>), made at build time: the same bytes the reflection-based
/// serializer writes with these options, without reflection, so that an agent compiled ahead of time (NativeAOT) signs
/// and checks exactly what the functions do. Every <see cref="ISignedMessage"/> must be listed here.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.General, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StartReplicas))]
[JsonSerializable(typeof(StopReplicas))]
[JsonSerializable(typeof(ReadContainerLogs))]
[JsonSerializable(typeof(ReplicaStarted))]
[JsonSerializable(typeof(ReplicaFailed))]
[JsonSerializable(typeof(ReplicaStopped))]
[JsonSerializable(typeof(ReplicaHealthChanged))]
[JsonSerializable(typeof(HostHeartbeat))]
internal sealed partial class SigningJson : JsonSerializerContext;
