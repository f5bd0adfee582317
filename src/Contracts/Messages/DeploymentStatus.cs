using Workers.Contracts.Spec;

namespace Workers.Contracts.Messages;

/// <summary>A deployment's current revision as the store knows it.</summary>
/// <param name="Name">The deployment's name.</param>
/// <param name="DeploymentId">The id of the current revision's request.</param>
/// <param name="Revision">The current revision.</param>
/// <param name="State">Where the revision stands.</param>
/// <param name="Image">The image it runs.</param>
/// <param name="Reason">Why it failed, if it did.</param>
/// <param name="UpdatedAt">When its state last changed.</param>
/// <param name="Replicas">Its replicas.</param>
/// <param name="Problems">For a rejected request, the spec's problems.</param>
/// <param name="Progress">While a rollout or rollback runs, where it stands and what it waits for, in words (<c>2/4 new healthy, 3 old running; waiting for replica 5 to become healthy</c>); otherwise null.</param>
public sealed record DeploymentStatus(string Name, Guid DeploymentId, long Revision, DeploymentState State, string Image, string? Reason, DateTimeOffset UpdatedAt, IReadOnlyList<ReplicaStatus> Replicas, IReadOnlyList<SpecProblem> Problems, string? Progress = null);
