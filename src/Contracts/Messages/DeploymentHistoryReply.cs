namespace Workers.Contracts.Messages;

/// <summary>The answer to <see cref="GetDeploymentHistory"/>: the newest revisions first (at most <see cref="MaxRevisions"/>); empty for an unknown name.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The request's correlation id.</param>
/// <param name="Timestamp">When the store was read.</param>
/// <param name="Name">The deployment's name.</param>
/// <param name="Current">The revision the name runs now (or is rolling out), or 0 when none.</param>
/// <param name="Revisions">Its revisions, newest first.</param>
public sealed record DeploymentHistoryReply(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string Name, long Current, IReadOnlyList<RevisionSummary> Revisions)
{
    /// <summary>The most revisions one reply lists.</summary>
    public const int MaxRevisions = 50;
}
