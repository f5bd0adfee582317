namespace Workers.Contracts.Messages;

/// <summary>Sent to one host's queue: stop and remove these replicas of a deployment revision.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The deployment id of the revision being stopped.</param>
/// <param name="Timestamp">When the command was made.</param>
/// <param name="HostId">The host that runs them.</param>
/// <param name="Name">The deployment's name.</param>
/// <param name="Revision">The revision being stopped.</param>
/// <param name="Indexes">The replica indexes to stop.</param>
/// <param name="Signature">The sender's signature (see <see cref="ISignedMessage"/>).</param>
public sealed record StopReplicas(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string HostId, string Name, long Revision, IReadOnlyList<int> Indexes, MessageSignature? Signature = null) : ISignedMessage
{
    /// <inheritdoc/>
    public ISignedMessage WithSignature(MessageSignature? signature) => this with { Signature = signature };
}
