namespace Workers.Contracts.Messages;

/// <summary>Asks for a deployment's revisions, newest first. Answered by <see cref="DeploymentHistoryReply"/>.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">A fresh id.</param>
/// <param name="Timestamp">When it was asked.</param>
/// <param name="Name">The deployment's name.</param>
public sealed record GetDeploymentHistory(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string Name);
