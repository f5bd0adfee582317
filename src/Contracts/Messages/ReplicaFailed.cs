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
public sealed record ReplicaFailed(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string HostId, string Name, long Revision, int Index, string Reason);
