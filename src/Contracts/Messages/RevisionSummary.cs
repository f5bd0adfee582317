using Workers.Contracts.Spec;

namespace Workers.Contracts.Messages;

/// <summary>One revision of a deployment, for its history.</summary>
/// <param name="Revision">The revision's number.</param>
/// <param name="DeploymentId">The id of the request that made it.</param>
/// <param name="State">Where it stands (superseded, rolled back, failed, running...).</param>
/// <param name="Image">The image it runs or ran.</param>
/// <param name="Reason">Why it failed or was rolled back, if it was.</param>
/// <param name="RequestedBy">Who asked for it.</param>
/// <param name="UpdatedAt">When its state last changed.</param>
/// <param name="Spec">Its spec, so that it can be deployed again.</param>
public sealed record RevisionSummary(long Revision, Guid DeploymentId, DeploymentState State, string Image, string? Reason, string RequestedBy, DateTimeOffset UpdatedAt, DeploymentSpec Spec);
