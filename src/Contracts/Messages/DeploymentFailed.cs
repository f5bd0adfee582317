namespace Workers.Contracts.Messages;

/// <summary>A deployment revision could not run all its replicas; those it started are stopped.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The deployment id.</param>
/// <param name="Timestamp">When it failed.</param>
/// <param name="Name">The deployment's name.</param>
/// <param name="Revision">The revision.</param>
/// <param name="Reason">Why, for a person.</param>
public sealed record DeploymentFailed(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string Name, long Revision, string Reason);
