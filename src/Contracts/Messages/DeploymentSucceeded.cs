namespace Workers.Contracts.Messages;

/// <summary>Every replica of a deployment revision runs.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The deployment id.</param>
/// <param name="Timestamp">When the last replica was reported running.</param>
/// <param name="Name">The deployment's name.</param>
/// <param name="Revision">The revision.</param>
public sealed record DeploymentSucceeded(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string Name, long Revision);
