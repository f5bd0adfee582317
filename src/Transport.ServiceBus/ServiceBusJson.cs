using System.Text.Json.Serialization;
using Workers.Contracts.Messages;

namespace Workers.Transport.ServiceBus;

/// <summary>
/// The contracts a Service Bus body can be, with their JSON metadata made at build time: no reflection, so that an
/// agent compiled ahead of time (NativeAOT) reads and writes what the functions do. A contract added to
/// Workers.Contracts.Messages must be added to both lists (ServiceBusEnvelopeTests checks it).
/// </summary>
[JsonSerializable(typeof(DeleteDeployment))]
[JsonSerializable(typeof(DeleteSecret))]
[JsonSerializable(typeof(DeploymentAccepted))]
[JsonSerializable(typeof(DeploymentDeleted))]
[JsonSerializable(typeof(DeploymentFailed))]
[JsonSerializable(typeof(DeploymentHistoryReply))]
[JsonSerializable(typeof(DeploymentRejected))]
[JsonSerializable(typeof(DeploymentRequested))]
[JsonSerializable(typeof(DeploymentRolledBack))]
[JsonSerializable(typeof(DeploymentStatusReply))]
[JsonSerializable(typeof(DeploymentSucceeded))]
[JsonSerializable(typeof(EventsReply))]
[JsonSerializable(typeof(ForgetHost))]
[JsonSerializable(typeof(GetDeploymentHistory))]
[JsonSerializable(typeof(GetDeploymentStatus))]
[JsonSerializable(typeof(GetEvents))]
[JsonSerializable(typeof(GetHosts))]
[JsonSerializable(typeof(GetReplicaLogs))]
[JsonSerializable(typeof(GetSealingKey))]
[JsonSerializable(typeof(HostHeartbeat))]
[JsonSerializable(typeof(HostKeysReply))]
[JsonSerializable(typeof(HostsReply))]
[JsonSerializable(typeof(ListSecrets))]
[JsonSerializable(typeof(PlanDeployment))]
[JsonSerializable(typeof(PlanReply))]
[JsonSerializable(typeof(ReadContainerLogs))]
[JsonSerializable(typeof(ReplicaFailed))]
[JsonSerializable(typeof(ReplicaHealthChanged))]
[JsonSerializable(typeof(ReplicaLogsReply))]
[JsonSerializable(typeof(ReplicaOrphaned))]
[JsonSerializable(typeof(ReplicaStarted))]
[JsonSerializable(typeof(ReplicaStopped))]
[JsonSerializable(typeof(SealingKeyReply))]
[JsonSerializable(typeof(SecretReply))]
[JsonSerializable(typeof(SecretsReply))]
[JsonSerializable(typeof(SetSecret))]
[JsonSerializable(typeof(StartReplicas))]
[JsonSerializable(typeof(StopReplicas))]
internal sealed partial class ServiceBusJson : JsonSerializerContext
{
    /// <summary>Every type of message that travels on Service Bus.</summary>
    public static IReadOnlyList<Type> Contracts { get; } =
    [
        typeof(DeleteDeployment),
        typeof(DeleteSecret),
        typeof(DeploymentAccepted),
        typeof(DeploymentDeleted),
        typeof(DeploymentFailed),
        typeof(DeploymentHistoryReply),
        typeof(DeploymentRejected),
        typeof(DeploymentRequested),
        typeof(DeploymentRolledBack),
        typeof(DeploymentStatusReply),
        typeof(DeploymentSucceeded),
        typeof(EventsReply),
        typeof(ForgetHost),
        typeof(GetDeploymentHistory),
        typeof(GetDeploymentStatus),
        typeof(GetEvents),
        typeof(GetHosts),
        typeof(GetReplicaLogs),
        typeof(GetSealingKey),
        typeof(HostHeartbeat),
        typeof(HostKeysReply),
        typeof(HostsReply),
        typeof(ListSecrets),
        typeof(PlanDeployment),
        typeof(PlanReply),
        typeof(ReadContainerLogs),
        typeof(ReplicaFailed),
        typeof(ReplicaHealthChanged),
        typeof(ReplicaLogsReply),
        typeof(ReplicaOrphaned),
        typeof(ReplicaStarted),
        typeof(ReplicaStopped),
        typeof(SealingKeyReply),
        typeof(SecretReply),
        typeof(SecretsReply),
        typeof(SetSecret),
        typeof(StartReplicas),
        typeof(StopReplicas),
    ];
}
