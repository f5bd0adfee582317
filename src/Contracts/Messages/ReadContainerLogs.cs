namespace Workers.Contracts.Messages;

/// <summary>
/// Sent by the functions to the agent of the host that runs a replica, as a request: read one bounded chunk of its
/// container's logs. Answered by <see cref="ReplicaLogsReply"/>; signed like every command to an agent.
/// </summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The <see cref="GetReplicaLogs"/> request's correlation id.</param>
/// <param name="Timestamp">When the command was made.</param>
/// <param name="HostId">The host that runs the replica.</param>
/// <param name="Name">The deployment's name.</param>
/// <param name="Revision">The replica's revision.</param>
/// <param name="Replica">The replica's index.</param>
/// <param name="ContainerId">The replica's container, as the agent reported it.</param>
/// <param name="Tail">Only the last this many lines, or null for all.</param>
/// <param name="Since">Only lines written at or after this moment, or null.</param>
/// <param name="After">Only lines written after the one this cursor names, or null.</param>
/// <param name="ExpiresAt">The agent answers nothing after this moment: whoever asked has stopped waiting.</param>
/// <param name="Signature">The sender's signature (see <see cref="ISignedMessage"/>).</param>
public sealed record ReadContainerLogs(
    Guid MessageId,
    Guid CorrelationId,
    DateTimeOffset Timestamp,
    string HostId,
    string Name,
    long Revision,
    int Replica,
    string ContainerId,
    int? Tail,
    DateTimeOffset? Since,
    string? After,
    DateTimeOffset ExpiresAt,
    MessageSignature? Signature = null) : ISignedMessage
{
    /// <inheritdoc/>
    public ISignedMessage WithSignature(MessageSignature? signature) => this with { Signature = signature };
}
