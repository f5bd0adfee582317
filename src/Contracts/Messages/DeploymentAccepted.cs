using Workers.Contracts.Spec;

namespace Workers.Contracts.Messages;

/// <summary>A requested spec is valid; the planner places it next.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The deployment id.</param>
/// <param name="Timestamp">When it was accepted.</param>
/// <param name="Spec">The valid spec.</param>
/// <param name="RequestedBy">Who asked.</param>
public sealed record DeploymentAccepted(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, DeploymentSpec Spec, string RequestedBy)
{
    /// <summary>
    /// When the request was made (its own timestamp), so that requests for one name accepted side by side by several
    /// validators are planned in the order they were made; absent from senders that predate it.
    /// </summary>
    public DateTimeOffset? RequestedAt { get; init; }
}
