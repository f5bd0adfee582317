namespace Workers.Contracts.Messages;

/// <summary>An agent reports that a running replica's health changed.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The deployment id of the replica's revision.</param>
/// <param name="Timestamp">When the agent judged it.</param>
/// <param name="HostId">The host that runs it.</param>
/// <param name="Name">The deployment's name.</param>
/// <param name="Revision">The revision.</param>
/// <param name="Index">The replica's index.</param>
/// <param name="ContainerId">The Docker container id.</param>
/// <param name="Health">Its health now.</param>
/// <param name="Reason">The last probe's answer when unhealthy (<c>GET /healthz -> 503</c>, <c>connect refused</c>, <c>exit 1: ...</c>); otherwise null.</param>
/// <param name="Signature">The sender's signature (see <see cref="ISignedMessage"/>).</param>
public sealed record ReplicaHealthChanged(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string HostId, string Name, long Revision, int Index, string ContainerId, ReplicaHealth Health, string? Reason, MessageSignature? Signature = null) : IAgentMessage
{
    /// <inheritdoc/>
    public ISignedMessage WithSignature(MessageSignature? signature) => this with { Signature = signature };
}
