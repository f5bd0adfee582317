using Microsoft.Extensions.Options;
using Workers.Contracts.Messages;
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
        var statuses = new List<DeploymentStatus>(revisions.Count);
        var hosts = revisions.Count == 0 ? [] : (await store.GetHostsAsync(cancellationToken)).ToDictionary(h => h.Heartbeat.HostId, h => h.Heartbeat.BindAddress, StringComparer.Ordinal);
        foreach (var revision in revisions)
        {
            var replicas = await store.GetReplicasAsync(revision.DeploymentId, cancellationToken);
            var (state, reason) = (revision.State, revision.Reason);
            if (query.DeploymentId is null && revision.Name is { } name
                && (await store.GetRevisionsAsync(name, cancellationToken)).FirstOrDefault() is { State: DeploymentState.RolledBack } rolledBack
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
                [.. replicas.Select(r => new ReplicaStatus(r.Index, r.HostId, r.State, r.ContainerId, r.Ports, r.Reason, r.State == ReplicaState.Running ? r.Health ?? ReplicaHealth.Starting : r.Health, Address(r, hosts)))],
                revision.Problems,
                await ProgressAsync(revision, replicas, cancellationToken)));
        }

        return new DeploymentStatusReply(Guid.NewGuid(), query.CorrelationId, time.GetUtcNow(), statuses);
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

    /// <summary>Where a user reaches a running replica: its host's bind address (or the host's name when it binds all addresses) and first host port.</summary>
    private static string? Address(ReplicaRecord replica, IReadOnlyDictionary<string, string> binds) =>
        replica.State != ReplicaState.Running || replica.Ports.Count == 0
            ? null
            : $"{(binds.TryGetValue(replica.HostId, out var bind) && bind is not ("0.0.0.0" or "::" or "") ? bind : replica.HostId)}:{replica.Ports[0].HostPort}";

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
            liveness.IsAlive(h)))]);
    }
}
