namespace Workers.Contracts.Messages;

/// <summary>Every replica of a deployment is stopped and removed, and the deployment is gone.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The deployment id of its last revision.</param>
/// <param name="Timestamp">When the last replica was removed.</param>
/// <param name="Name">The deployment's name.</param>
public sealed record DeploymentDeleted(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string Name);
