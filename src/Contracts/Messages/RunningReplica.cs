namespace Workers.Contracts.Messages;

/// <summary>A replica as an agent sees it in Docker.</summary>
/// <param name="Name">The deployment's name.</param>
/// <param name="Revision">The revision.</param>
/// <param name="Index">The replica's index.</param>
/// <param name="ContainerId">The container id.</param>
/// <param name="Running">Whether the container is running.</param>
/// <param name="CreatedAt">When the container was created, so that a container the store does not know is only called an orphan after a grace period.</param>
public sealed record RunningReplica(string Name, long Revision, int Index, string ContainerId, bool Running, DateTimeOffset CreatedAt);
