using Microsoft.Extensions.Options;
using Workers.Contracts.Messages;
using Workers.Contracts.Versioning;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>Query: answers status and host questions from the store, so a client needs nothing but the broker.</summary>
public sealed class QueryHandler(IDeploymentStore store, TimeProvider time, IOptions<FunctionsOptions> options)
{
    public async Task<DeploymentStatusReply> HandleAsync(GetDeploymentStatus query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        IReadOnlyList<RevisionRecord> revisions = query.DeploymentId is { } id
            ? await store.GetRevisionAsync(id, cancellationToken) is { } one ? [one] : []
            : await store.GetCurrentRevisionsAsync(query.Name, cancellationToken);
        return new DeploymentStatusReply(Guid.NewGuid(), query.CorrelationId, time.GetUtcNow(), await StatusesAsync(revisions, byId: query.DeploymentId is not null, cancellationToken));
    }

    /// <summary>
    /// The deployments by name (ordinal) from <paramref name="offset"/>, at most <paramref name="limit"/> of them, and
    /// how many there are in all: only the page's replicas are read, so a page costs the same with 10 deployments or
    /// 10,000.
    /// </summary>
    public async Task<(IReadOnlyList<DeploymentStatus> Page, int Total)> StatusPageAsync(int offset, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var revisions = (await store.GetCurrentRevisionsAsync(null, cancellationToken)).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        return (await StatusesAsync([.. revisions.Skip(offset).Take(limit)], byId: false, cancellationToken), revisions.Count);
    }

    private async Task<IReadOnlyList<DeploymentStatus>> StatusesAsync(IReadOnlyList<RevisionRecord> revisions, bool byId, CancellationToken cancellationToken)
    {
        var statuses = new List<DeploymentStatus>(revisions.Count);
        var known = revisions.Count == 0 ? [] : await store.GetHostsAsync(cancellationToken);
        var hosts = known.ToDictionary(h => h.Heartbeat.HostId, h => h.Heartbeat.BindAddress, StringComparer.Ordinal);
        var liveness = HostLiveness.Of(known, time.GetUtcNow(), options.Value.HostTimeout);
        var silent = known.Where(h => !liveness.IsAlive(h)).Select(h => h.Heartbeat.HostId).ToHashSet(StringComparer.Ordinal);
        foreach (var revision in revisions)
        {
            var replicas = await store.GetReplicasAsync(revision.DeploymentId, cancellationToken);
            var (state, reason) = (revision.State, revision.Reason);
            if (!byId && revision.Name is { } name
                && (await store.GetRevisionsAsync(name, new RevisionFilter(Limit: 1), cancellationToken)).FirstOrDefault() is { State: DeploymentState.RolledBack } rolledBack
                && rolledBack.Revision > revision.Revision)
            {
                // The newest revision was rolled back: the name runs this one again, and says why.
                (state, reason) = (DeploymentState.RolledBack, $"revision {rolledBack.Revision} {rolledBack.Reason}");
            }

            statuses.Add(new DeploymentStatus(
                revision.Name ?? string.Empty,
                revision.DeploymentId,
                revision.Revision,
                state,
                revision.Spec?.Image.ToString() ?? string.Empty,
                reason,
                revision.UpdatedAt,
                [.. (byId ? replicas : CurrentView(revision, replicas)).Select(r => new ReplicaStatus(r.Index, r.HostId, r.State, r.ContainerId, r.Ports, r.Reason, Health(r, silent), Address(r, hosts)))],
                revision.Problems,
                await ProgressAsync(revision, replicas, cancellationToken)));
        }

        return statuses;
    }

    /// <summary>
    /// The replicas a name's status shows: those wanted (pending, running) and those on their way out (stopping); of
    /// the ones that ended (failed, lost), only as many as are still missing, newest first, so that the reason of a
    /// shortfall shows and a row that was replaced leaves the view. A revision that failed shows its failures. Every
    /// row stays in the revision's own record (a status by deployment id, as <c>deploy --wait</c> reads it).
    /// </summary>
    internal static IReadOnlyList<ReplicaRecord> CurrentView(RevisionRecord revision, IReadOnlyList<ReplicaRecord> replicas)
    {
        var shown = replicas.Where(r => r.Alive || r.State == ReplicaState.Stopping).ToList();
        var ended = replicas.Where(r => r.State is ReplicaState.Failed or ReplicaState.Lost).OrderByDescending(r => r.UpdatedAt).ToList();
        var missing = revision.State is DeploymentState.Failed or DeploymentState.Rejected
            ? ended.Count
            : Math.Max(0, (revision.Spec?.Replicas ?? 0) - replicas.Count(r => r.Alive));
        return [.. shown.Concat(ended.Take(missing)).OrderBy(r => r.Index)];
    }

    public async Task<DeploymentHistoryReply> HandleAsync(GetDeploymentHistory query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var current = (await store.GetCurrentRevisionsAsync(query.Name, cancellationToken)).FirstOrDefault();
        var revisions = (await store.GetRevisionsAsync(query.Name, new RevisionFilter(Limit: DeploymentHistoryReply.MaxRevisions), cancellationToken))
            .Where(r => r.Spec is not null)
            .Take(DeploymentHistoryReply.MaxRevisions)
            .Select(r => new RevisionSummary(r.Revision, r.DeploymentId, r.State, r.Spec!.Image.ToString(), r.Reason, r.RequestedBy, r.UpdatedAt, r.Spec));
        return new DeploymentHistoryReply(Guid.NewGuid(), query.CorrelationId, time.GetUtcNow(), query.Name, current?.Revision ?? 0, [.. revisions]);
    }

    /// <summary>
    /// The revision <c>workers rollback</c> deploys again: <paramref name="to"/> when given, otherwise the newest one
    /// before the current revision that ran healthy (it was superseded, not failed or rolled back); or why there is none.
    /// </summary>
    public static (RevisionSummary? Target, string? Error) RollbackTarget(DeploymentHistoryReply history, long? to)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Revisions.Count == 0)
        {
            return (null, $"there is no deployment named '{history.Name}'");
        }

        if (to is { } wanted)
        {
            return history.Revisions.FirstOrDefault(r => r.Revision == wanted) is { } chosen
                ? (chosen, null)
                : (null, $"'{history.Name}' has no revision {wanted} (its history lists {string.Join(", ", history.Revisions.Select(r => r.Revision))})");
        }

        return history.Revisions.FirstOrDefault(r => r.Revision < history.Current && r.State == DeploymentState.Superseded) is { } previous
            ? (previous, null)
            : (null, $"'{history.Name}' has no earlier revision that ran healthy before revision {history.Current}");
    }

    /// <summary>Where a rollout or rollback stands, for a revision that is rolling out or back.</summary>
    private async Task<string?> ProgressAsync(RevisionRecord revision, IReadOnlyList<ReplicaRecord> replicas, CancellationToken cancellationToken)
    {
        if (revision.State is not (DeploymentState.Pending or DeploymentState.RollingBack) || revision.Spec is null || revision.Name is null)
        {
            return null;
        }

        var outgoing = new List<ReplicaRecord>();
        foreach (var other in (await store.GetLiveRevisionsAsync(revision.Name, cancellationToken)).Where(r => r.DeploymentId != revision.DeploymentId))
        {
            outgoing.AddRange(await store.GetReplicasAsync(other.DeploymentId, cancellationToken));
        }

        if (revision.State == DeploymentState.RollingBack)
        {
            // The restored revision is the target; this one's replicas are the ones going.
            var restoring = outgoing.GroupBy(r => r.DeploymentId).MaxBy(g => g.First().Revision);
            return restoring is not null && await store.GetRevisionAsync(restoring.Key, cancellationToken) is { Spec: { } spec } restored
                ? "rolling back: " + Rollouts.Step(spec, restored.DeploymentId, restored.Revision, [.. restoring], replicas, null, time.GetUtcNow(), options.Value.HostTimeout).Progress
                : "rolling back";
        }

        return Rollouts.Step(revision.Spec, revision.DeploymentId, revision.Revision, replicas, outgoing, null, time.GetUtcNow(), options.Value.HostTimeout).Progress;
    }

    /// <summary>A running replica's health as last reported, or unknown while its host's heartbeat is overdue.</summary>
    private static ReplicaHealth? Health(ReplicaRecord replica, IReadOnlySet<string> silent) =>
        replica.State != ReplicaState.Running ? replica.Health
        : silent.Contains(replica.HostId) ? ReplicaHealth.Unknown
        : replica.Health ?? ReplicaHealth.Starting;

    /// <summary>Where a user reaches a running replica: its host's bind address (or the host's name when it binds all addresses) and first host port.</summary>
    private static string? Address(ReplicaRecord replica, IReadOnlyDictionary<string, string> binds) =>
        replica.State != ReplicaState.Running || replica.Ports.Count == 0
            ? null
            : $"{(binds.TryGetValue(replica.HostId, out var bind) && bind is not ("0.0.0.0" or "::" or "") ? bind : replica.HostId)}:{replica.Ports[0].HostPort}";

    /// <summary>This build of the functions, which the hosts reply carries.</summary>
    public static readonly string FunctionsVersion = BuildVersion.Of(typeof(QueryHandler).Assembly);

    public async Task<HostsReply> HandleAsync(GetHosts query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var now = time.GetUtcNow();
        var hosts = await store.GetHostsAsync(cancellationToken);
        var liveness = HostLiveness.Of(hosts, now, options.Value.HostTimeout);
        return new HostsReply(Guid.NewGuid(), query.CorrelationId, now, [.. hosts.Select(h => new HostStatus(
            h.Heartbeat.HostId,
            h.Heartbeat.Labels,
            h.Heartbeat.BindAddress,
            h.Heartbeat.CpuCapacityMillicores,
            h.Heartbeat.MemoryCapacityBytes,
            h.Heartbeat.CpuFreeMillicores,
            h.Heartbeat.MemoryFreeBytes,
            h.Heartbeat.Replicas.Count,
            h.Heartbeat.Timestamp,
            liveness.IsAlive(h)) { AgentVersion = h.Heartbeat.AgentVersion })]) { FunctionsVersion = FunctionsVersion };
    }

    /// <summary>The event history that matches, oldest first (at most the newest 1000).</summary>
    public async Task<EventsReply> HandleAsync(GetEvents query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var events = await store.GetEventsAsync(new EventQuery(query.Name, query.After, query.Since, Math.Clamp(query.Limit, 1, 1000)), cancellationToken);
        return new EventsReply(Guid.NewGuid(), query.CorrelationId, time.GetUtcNow(), events);
    }
}
