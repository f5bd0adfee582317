namespace Workers.Contracts.Messages;

/// <summary>A dry run: validate and place a spec without starting anything. Answered by <see cref="PlanReply"/>.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">A fresh id.</param>
/// <param name="Timestamp">When it was asked.</param>
/// <param name="SpecText">The spec document.</param>
/// <param name="Source">The file name, for problem reports.</param>
public sealed record PlanDeployment(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string SpecText, string Source);
