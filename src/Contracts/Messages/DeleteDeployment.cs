namespace Workers.Contracts.Messages;

/// <summary>Someone asks for a deployment to be stopped and removed.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">An id for this request, echoed by <see cref="DeploymentDeleted"/>.</param>
/// <param name="Timestamp">When it was asked.</param>
/// <param name="Name">The deployment's name.</param>
/// <param name="RequestedBy">Who asked.</param>
public sealed record DeleteDeployment(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string Name, string RequestedBy);
