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
    public async Task<Effects> HandleAsync(DeploymentAccepted accepted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(accepted);
        var now = time.GetUtcNow();
        var spec = accepted.Spec;
        var existing = await store.GetRevisionAsync(accepted.CorrelationId, cancellationToken);
        if (existing is not null)
        {
            return existing.State == DeploymentState.Pending
                ? await ResendAsync(existing, now, cancellationToken)
                : new Effects();
        }

        var older = await store.GetOlderActiveRevisionsAsync(spec.Name.Value, long.MaxValue, cancellationToken);
        var olderIds = older.Select(r => r.DeploymentId).ToHashSet();
        var reservations = await store.GetReservationsAsync(cancellationToken);
        var candidates = Inventory.CandidatesFrom(
            await store.GetHostsAsync(cancellationToken), reservations, await store.GetActiveReplicaLimitsAsync(cancellationToken), now, options.Value.HostTimeout, Inventory.Replaceable(spec, olderIds));
        var plan = Planner.Plan(spec, candidates);
        if (!plan.Succeeded)
        {
            await store.RecordRejectionAsync(accepted.CorrelationId, spec.Name.Value, plan.Reason!, [], accepted.RequestedBy, now, cancellationToken);
            return new Effects().Publish(new DeploymentRejected(Guid.NewGuid(), accepted.CorrelationId, now, spec.Name.Value, plan.Reason!, []));
        }

        // Older replicas whose host ports the new ones take are stopped first, on the same host queue.
        var displaced = plan.Placements
            .SelectMany(p => p.Ports.Select(b => (p.HostId, b.HostPort, b.Protocol)))
            .Join(reservations.Where(r => olderIds.Contains(r.DeploymentId)), k => k, r => (r.HostId, r.HostPort, r.Protocol), (_, r) => r)
            .DistinctBy(r => (r.DeploymentId, r.Index))
            .ToList();
        var effects = new Effects();
        foreach (var group in displaced.GroupBy(r => (r.HostId, r.DeploymentId)))
        {
            var revision = older.First(r => r.DeploymentId == group.Key.DeploymentId);
            effects.Send(group.Key.HostId, new StopReplicas(Guid.NewGuid(), revision.DeploymentId, now, group.Key.HostId, spec.Name.Value, revision.Revision, [.. group.Select(r => r.Index).Order()]));
        }

        var number = await store.SavePlanAsync(accepted.CorrelationId, spec, accepted.RequestedBy, plan.Placements, displaced, now, cancellationToken);
        foreach (var host in plan.Placements.GroupBy(p => p.HostId))
        {
            effects.Send(host.Key, StartCommand(accepted.CorrelationId, number, spec, host.Key, host, now));
        }

        return effects;
    }

    private async Task<Effects> ResendAsync(RevisionRecord revision, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var effects = new Effects();
        var replicas = await store.GetReplicasAsync(revision.DeploymentId, cancellationToken);
        foreach (var host in replicas.Where(r => r.State == ReplicaState.Pending).GroupBy(r => r.HostId))
        {
            var placements = host.Select(r => new ReplicaPlacement(r.Index, r.HostId, r.Ports));
            effects.Send(host.Key, StartCommand(revision.DeploymentId, revision.Revision, revision.Spec!, host.Key, placements, now));
        }

        return effects;
    }

    private StartReplicas StartCommand(Guid deploymentId, long revision, Contracts.Spec.DeploymentSpec spec, string hostId, IEnumerable<ReplicaPlacement> placements, DateTimeOffset now) =>
        new(Guid.NewGuid(), deploymentId, now, hostId, revision, now + options.Value.CommandTimeToLive, spec,
            [.. placements.Select(p => new ReplicaAssignment(p.Index, p.Ports))]);
}
