using Workers.Contracts.Spec;

namespace Workers.Contracts.Messages;

/// <summary>The answer to <see cref="PlanDeployment"/>: where each replica would land, or exactly why it cannot.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The request's correlation id.</param>
/// <param name="Timestamp">When the plan was made.</param>
/// <param name="Placements">One per replica when the plan succeeds; empty otherwise.</param>
/// <param name="Reason">Why the spec cannot be placed, or null when it can.</param>
/// <param name="Problems">The spec's problems, as <c>workers validate</c> reports them.</param>
public sealed record PlanReply(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, IReadOnlyList<ReplicaPlacement> Placements, string? Reason, IReadOnlyList<SpecProblem> Problems);
