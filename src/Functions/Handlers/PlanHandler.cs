using Microsoft.Extensions.Options;
using Workers.Contracts.Messages;
using Workers.Functions.Planning;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>
/// Plan and fan out: places an accepted spec on live hosts, records the plan (the store's unique port key settles
/// races between concurrent planners), and sends each chosen host one command listing its replicas. Redelivered, it
/// re-sends the commands of the plan it already recorded instead of planning again.
/// </summary>
public sealed class PlanHandler(IDeploymentStore store, TimeProvider time, IOptions<FunctionsOptions> options)
{
    public Task<Effects> HandleAsync(DeploymentAccepted accepted, CancellationToken cancellationToken) =>
        HandleAsync([accepted], cancellationToken);

    /// <summary>
    /// Plans a batch in one pass, as Nomad's plan applier does: the hosts, reservations and limits are read once, and
    /// each plan sees the ones before it in the batch (its ports taken, its CPU and memory spoken for), so the cost of
    /// reading the cluster is shared and plans of one batch never race each other. Each plan is still recorded on its
    /// own; should one lose a race with another process's plan, the batch is retried and the plans already recorded
    /// have their commands re-sent, as a redelivery would.
    /// </summary>
    public async Task<Effects> HandleAsync(IReadOnlyList<DeploymentAccepted> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var now = time.GetUtcNow();
        var effects = new Effects();
        var fresh = new List<DeploymentAccepted>(batch.Count);
        foreach (var accepted in batch.DistinctBy(a => a.CorrelationId))
        {
            var existing = await store.GetRevisionAsync(accepted.CorrelationId, cancellationToken);
            if (existing is null)
            {
                fresh.Add(accepted);
            }
            else if (existing.State == DeploymentState.Pending)
            {
                await ResendAsync(existing, now, effects, cancellationToken);
            }
        }

        if (fresh.Count > 0)
        {
            var view = new ClusterView(
                await store.GetHostsAsync(cancellationToken),
                [.. await store.GetReservationsAsync(cancellationToken)],
                [.. await store.GetActiveReplicaLimitsAsync(cancellationToken)]);
            foreach (var accepted in fresh)
            {
                await PlanAsync(accepted, view, now, effects, cancellationToken);
            }
        }

        return effects;
    }

    private async Task PlanAsync(DeploymentAccepted accepted, ClusterView view, DateTimeOffset now, Effects effects, CancellationToken cancellationToken)
    {
        var spec = accepted.Spec;
        var older = await store.GetOlderActiveRevisionsAsync(spec.Name.Value, long.MaxValue, cancellationToken);
        var olderIds = older.Select(r => r.DeploymentId).ToHashSet();
        var candidates = Inventory.CandidatesFrom(view.Hosts, view.Reservations, view.Limits, now, options.Value.HostTimeout, Inventory.Replaceable(spec, olderIds));
        var plan = Planner.Plan(spec, candidates);
        if (!plan.Succeeded)
        {
            await store.RecordRejectionAsync(accepted.CorrelationId, spec.Name.Value, plan.Reason!, [], accepted.RequestedBy, now, cancellationToken);
            effects.Publish(new DeploymentRejected(Guid.NewGuid(), accepted.CorrelationId, now, spec.Name.Value, plan.Reason!, []));
            return;
        }

        // Older replicas whose host ports the new ones take are stopped first, on the same host queue.
        var displaced = plan.Placements
            .SelectMany(p => p.Ports.Select(b => (p.HostId, b.HostPort, b.Protocol)))
            .Join(view.Reservations.Where(r => olderIds.Contains(r.DeploymentId)), k => k, r => (r.HostId, r.HostPort, r.Protocol), (_, r) => r)
            .DistinctBy(r => (r.DeploymentId, r.Index))
            .ToList();
        foreach (var group in displaced.GroupBy(r => (r.HostId, r.DeploymentId)))
        {
            var revision = older.First(r => r.DeploymentId == group.Key.DeploymentId);
            effects.Send(group.Key.HostId, new StopReplicas(Guid.NewGuid(), revision.DeploymentId, now, group.Key.HostId, spec.Name.Value, revision.Revision, [.. group.Select(r => r.Index).Order()]));
        }

        var number = await store.SavePlanAsync(accepted.CorrelationId, spec, accepted.RequestedBy, plan.Placements, displaced, now, cancellationToken);
        view.Record(accepted.CorrelationId, spec, number, plan.Placements, displaced);
        foreach (var host in plan.Placements.GroupBy(p => p.HostId))
        {
            effects.Send(host.Key, StartCommand(accepted.CorrelationId, number, spec, host.Key, host, now));
        }
    }

    private async Task ResendAsync(RevisionRecord revision, DateTimeOffset now, Effects effects, CancellationToken cancellationToken)
    {
        var replicas = await store.GetReplicasAsync(revision.DeploymentId, cancellationToken);
        foreach (var host in replicas.Where(r => r.State == ReplicaState.Pending).GroupBy(r => r.HostId))
        {
            var placements = host.Select(r => new ReplicaPlacement(r.Index, r.HostId, r.Ports));
            effects.Send(host.Key, StartCommand(revision.DeploymentId, revision.Revision, revision.Spec!, host.Key, placements, now));
        }
    }

    private StartReplicas StartCommand(Guid deploymentId, long revision, Contracts.Spec.DeploymentSpec spec, string hostId, IEnumerable<ReplicaPlacement> placements, DateTimeOffset now) =>
        new(Guid.NewGuid(), deploymentId, now, hostId, revision, now + options.Value.CommandTimeToLive, spec,
            [.. placements.Select(p => new ReplicaAssignment(p.Index, p.Ports))]);

    /// <summary>The cluster as one batch sees it: read once, then each recorded plan added to it.</summary>
    private sealed record ClusterView(IReadOnlyList<HostRecord> Hosts, List<PortReservation> Reservations, List<ReplicaLimits> Limits)
    {
        public void Record(Guid deploymentId, Contracts.Spec.DeploymentSpec spec, long revision, IReadOnlyList<ReplicaPlacement> placements, IReadOnlyCollection<PortReservation> displaced)
        {
            // A displaced replica gives up its port now; it keeps its CPU and memory until it has stopped.
            if (displaced.Count > 0)
            {
                Reservations.RemoveAll(r => displaced.Any(d => d.DeploymentId == r.DeploymentId && d.Index == r.Index));
            }
            var name = spec.Name.Value;
            foreach (var placement in placements)
            {
                Reservations.AddRange(placement.Ports.Select(p => new PortReservation(placement.HostId, p.HostPort, p.Protocol, deploymentId, name, placement.Index)));
                Limits.Add(new ReplicaLimits(placement.HostId, name, revision, placement.Index, spec.Resources.Cpu?.Millicores ?? 0, spec.Resources.Memory?.Bytes ?? 0));
            }
        }
    }
}
