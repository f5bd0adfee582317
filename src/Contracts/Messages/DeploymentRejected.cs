using Workers.Contracts.Spec;

namespace Workers.Contracts.Messages;

/// <summary>A request was refused before anything started: its spec is invalid, or its replicas cannot all be placed.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The deployment id.</param>
/// <param name="Timestamp">When it was rejected.</param>
/// <param name="Name">The deployment's name, when the spec had a readable one.</param>
/// <param name="Reason">Why, for a person.</param>
/// <param name="Problems">The spec's problems, with the same paths and lines as <c>workers validate</c>; empty for placement failures.</param>
public sealed record DeploymentRejected(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string? Name, string Reason, IReadOnlyList<SpecProblem> Problems);
