using Workers.Contracts.Spec;

namespace Workers.Contracts.Messages;

/// <summary>A requested spec is valid; the planner places it next.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The deployment id.</param>
/// <param name="Timestamp">When it was accepted.</param>
/// <param name="Spec">The valid spec.</param>
/// <param name="RequestedBy">Who asked.</param>
public sealed record DeploymentAccepted(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, DeploymentSpec Spec, string RequestedBy);
