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
        foreach (var revision in revisions)
        {
            var replicas = await store.GetReplicasAsync(revision.DeploymentId, cancellationToken);
            statuses.Add(new DeploymentStatus(
                revision.Name ?? string.Empty,
                revision.DeploymentId,
                revision.Revision,
                revision.State,
                revision.Spec?.Image.ToString() ?? string.Empty,
                revision.Reason,
                revision.UpdatedAt,
                [.. replicas.Select(r => new ReplicaStatus(r.Index, r.HostId, r.State, r.ContainerId, r.Ports, r.Reason))],
                revision.Problems));
        }

        return new DeploymentStatusReply(Guid.NewGuid(), query.CorrelationId, time.GetUtcNow(), statuses);
    }

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
