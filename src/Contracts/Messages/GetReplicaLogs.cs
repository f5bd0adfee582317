namespace Workers.Contracts.Messages;

/// <summary>
/// Asks for a replica's container logs, one bounded chunk at a time. Answered by <see cref="ReplicaLogsReply"/>: the
/// functions find the host that runs the replica and ask its agent (<see cref="ReadContainerLogs"/>). To read on, or to
/// follow, ask again with <see cref="After"/> set to the reply's <see cref="ReplicaLogsReply.Cursor"/>.
/// </summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">A fresh id.</param>
/// <param name="Timestamp">When it was asked.</param>
/// <param name="Name">The deployment's name.</param>
/// <param name="Replica">The replica's index, or null for the lowest-numbered replica of the current revision.</param>
/// <param name="Tail">Only the last this many lines (1 to 10000), or null for all; ignored with <see cref="After"/>.</param>
/// <param name="Since">Only lines written at or after this moment, or null.</param>
/// <param name="After">Only lines written after the one this cursor names (a previous reply's cursor), or null.</param>
/// <param name="ContainerId">Only this container (a previous reply's), so that a follower stays with the container it
/// began with rather than move on to a replacement; or null for the replica's current one.</param>
public sealed record GetReplicaLogs(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string Name, int? Replica, int? Tail, DateTimeOffset? Since, string? After, string? ContainerId = null);
