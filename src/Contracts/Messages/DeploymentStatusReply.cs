namespace Workers.Contracts.Messages;

/// <summary>The answer to <see cref="GetDeploymentStatus"/>; empty when no such deployment exists.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The request's correlation id.</param>
/// <param name="Timestamp">When the store was read.</param>
/// <param name="Deployments">The deployments.</param>
public sealed record DeploymentStatusReply(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, IReadOnlyList<DeploymentStatus> Deployments);
