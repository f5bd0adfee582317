namespace Workers.Contracts.Messages;

/// <summary>An agent reports a replica stopped and removed (or already gone).</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The deployment id of the replica's revision.</param>
/// <param name="Timestamp">When it was removed.</param>
/// <param name="HostId">The host.</param>
/// <param name="Name">The deployment's name.</param>
/// <param name="Revision">The revision.</param>
/// <param name="Index">The replica's index.</param>
/// <param name="Signature">The sender's signature (see <see cref="ISignedMessage"/>).</param>
public sealed record ReplicaStopped(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string HostId, string Name, long Revision, int Index, MessageSignature? Signature = null) : IAgentMessage
{
    /// <inheritdoc/>
    public ISignedMessage WithSignature(MessageSignature? signature) => this with { Signature = signature };
}
