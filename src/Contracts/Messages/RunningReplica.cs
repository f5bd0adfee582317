namespace Workers.Contracts.Messages;

/// <summary>A replica as an agent sees it in Docker.</summary>
/// <param name="Name">The deployment's name.</param>
/// <param name="Revision">The revision.</param>
/// <param name="Index">The replica's index.</param>
/// <param name="ContainerId">The container id.</param>
/// <param name="Running">Whether the container is running.</param>
/// <param name="CreatedAt">When the container was created, so that a container the store does not know is only called an orphan after a grace period.</param>
/// <param name="Health">Its health as the agent last judged it (<see cref="ReplicaHealth.Starting"/> until judged), so that a lost <see cref="ReplicaHealthChanged"/> is made good by the next heartbeat.</param>
/// <param name="HealthReason">Why it is unhealthy, when it is.</param>
public sealed record RunningReplica(string Name, long Revision, int Index, string ContainerId, bool Running, DateTimeOffset CreatedAt, ReplicaHealth Health = ReplicaHealth.Starting, string? HealthReason = null);
