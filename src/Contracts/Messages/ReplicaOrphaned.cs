namespace Workers.Contracts.Messages;

/// <summary>
/// A container on a host that the store does not want there (its deployment is gone, its revision superseded, or its
/// replica replaced). Published before the stop command is sent, so that nothing disappears unexplained.
/// </summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The deployment id of the container's revision, when the store knows it; otherwise empty.</param>
/// <param name="Timestamp">When it was found.</param>
/// <param name="HostId">The host that runs it.</param>
/// <param name="Name">The deployment name on its labels.</param>
/// <param name="Revision">The revision on its labels.</param>
/// <param name="Index">The replica index on its labels.</param>
/// <param name="ContainerId">The container.</param>
/// <param name="Reason">Why it is not wanted.</param>
public sealed record ReplicaOrphaned(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string HostId, string Name, long Revision, int Index, string ContainerId, string Reason);
