namespace Workers.Contracts.Messages;

/// <summary>
/// Asks for the status of one request (by <paramref name="DeploymentId"/>), one deployment (by <paramref name="Name"/>),
/// or of all deployments when both are null. Answered by <see cref="DeploymentStatusReply"/>.
/// </summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The deployment id asked about, or a fresh id.</param>
/// <param name="Timestamp">When it was asked.</param>
/// <param name="Name">The deployment's name, or null.</param>
/// <param name="DeploymentId">The id of one request, or null.</param>
public sealed record GetDeploymentStatus(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string? Name, Guid? DeploymentId);
