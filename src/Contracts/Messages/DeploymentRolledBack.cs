namespace Workers.Contracts.Messages;

/// <summary>A revision's rollout failed and the last revision that ran healthy runs again with every replica healthy.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The deployment id of the revision that was rolled back.</param>
/// <param name="Timestamp">When the restored revision was whole again.</param>
/// <param name="Name">The deployment's name.</param>
/// <param name="Revision">The revision that was rolled back.</param>
/// <param name="RestoredRevision">The revision that runs again.</param>
/// <param name="Reason">Why the rollout failed, for a person.</param>
public sealed record DeploymentRolledBack(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string Name, long Revision, long RestoredRevision, string Reason);
