using Workers.Contracts.Spec;

namespace Workers.Contracts.Messages;

/// <summary>Sent to one host's queue: run these replicas of a deployment revision. Each replica is answered on its own.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The deployment id (of this revision).</param>
/// <param name="Timestamp">When the command was made.</param>
/// <param name="HostId">The host that must run them.</param>
/// <param name="Revision">The deployment's revision; an agent refuses the command when another revision runs there from a start made after it (a rollback's older revision, made later, is not refused).</param>
/// <param name="ExpiresAt">After this an agent refuses the command, so that a late delivery cannot start stale replicas.</param>
/// <param name="Spec">The spec every replica runs.</param>
/// <param name="Replicas">The replicas to run on this host.</param>
/// <param name="Signature">The sender's signature (see <see cref="ISignedMessage"/>).</param>
/// <param name="SealedEnv">The values of the spec's secret references (<see cref="DeploymentSpec.SecretEnv"/>), by variable
/// name, each sealed to this host's agent sealing key (<see cref="AgentIdentity.SealingKey"/>) for the context
/// <c>workers/env/v1\n{deployment}\n{revision}\n{variable}</c>; only that agent opens them, and only into the container's
/// environment. A variable missing here (its secret was deleted, or the host has no sealing key) fails the replica.
/// Null when the spec refers to no secret.</param>
public sealed record StartReplicas(
    Guid MessageId,
    Guid CorrelationId,
    DateTimeOffset Timestamp,
    string HostId,
    long Revision,
    DateTimeOffset ExpiresAt,
    DeploymentSpec Spec,
    IReadOnlyList<ReplicaAssignment> Replicas,
    MessageSignature? Signature = null,
    IReadOnlyDictionary<string, string>? SealedEnv = null) : ISignedMessage
{
    /// <inheritdoc/>
    public ISignedMessage WithSignature(MessageSignature? signature) => this with { Signature = signature };
}
