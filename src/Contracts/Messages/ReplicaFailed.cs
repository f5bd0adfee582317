namespace Workers.Contracts.Messages;

/// <summary>An agent reports that a replica could not run, or stopped running without being asked to.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The deployment id of the replica's revision.</param>
/// <param name="Timestamp">When it failed.</param>
/// <param name="HostId">The host.</param>
/// <param name="Name">The deployment's name.</param>
/// <param name="Revision">The revision.</param>
/// <param name="Index">The replica's index.</param>
/// <param name="Reason">The engine's reason, or the agent's (expired or stale command).</param>
/// <param name="HostPortTaken">The engine refused a host port that something else held at that moment (a container the
/// planner did not know of yet): a matter of placement, not of the spec.</param>
/// <param name="Signature">The sender's signature (see <see cref="ISignedMessage"/>).</param>
public sealed record ReplicaFailed(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string HostId, string Name, long Revision, int Index, string Reason, bool HostPortTaken = false, MessageSignature? Signature = null) : IAgentMessage
{
    /// <inheritdoc/>
    public ISignedMessage WithSignature(MessageSignature? signature) => this with { Signature = signature };
}
