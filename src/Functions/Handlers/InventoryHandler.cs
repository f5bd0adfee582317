using Microsoft.Extensions.Options;
using Workers.Contracts.Messages;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>
/// Inventory: keeps each host's newest heartbeat, and reconciles what the host runs with what the store wants there.
/// A container nobody wants (deployment gone, revision superseded, replica replaced) is announced as an orphan and
/// stopped after a grace period; a replica whose container exited or vanished outside Workers is replaced.
/// </summary>
public sealed class InventoryHandler(IDeploymentStore store, TimeProvider time, IOptions<FunctionsOptions> options, TrackHandler? track = null, SecretSealer? sealer = null, OrphanStops? orphanStops = null)
{
    private readonly TrackHandler _track = track ?? new TrackHandler(store, time, options, sealer);
    private readonly OrphanStops _orphanStops = orphanStops ?? new OrphanStops();

    public async Task<Effects> HandleAsync(HostHeartbeat heartbeat, CancellationToken cancellationToken)
    {
        var effects = await ReconcileAsync(heartbeat, cancellationToken);
        return sealer is null ? effects : await sealer.SealAsync(effects, cancellationToken);
    }

    private async Task<Effects> ReconcileAsync(HostHeartbeat heartbeat, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        var now = time.GetUtcNow();
        var settings = options.Value;
        var effects = new Effects();
        await store.UpsertHostAsync(heartbeat, now, cancellationToken);
        // Replicas that ended long ago are read only if the host still runs their container (rare: an orphan).
        var wanted = (await store.GetReplicasOnHostAsync(heartbeat.HostId, now - (2 * settings.OrphanGrace), cancellationToken)).ToDictionary(r => (r.Name, r.Revision, r.Index));
        var gone = new List<(ReplicaRecord Replica, string Reason)>();
        foreach (var running in heartbeat.Replicas)
        {
            var replica = wanted.Remove((running.Name, running.Revision, running.Index), out var recent)
                ? recent
                : await store.FindReplicaOnHostAsync(heartbeat.HostId, running.Name, running.Revision, running.Index, cancellationToken);
            if (replica is null)
            {
                if (now - running.CreatedAt > settings.OrphanGrace)
                {
                    await OrphanAsync(effects, heartbeat.HostId, running, Guid.Empty, "no deployment revision in the store owns it", now, cancellationToken);
                }

                continue;
            }

            if (running.Running && replica.State is ReplicaState.Pending or ReplicaState.Running
                && running.Health is ReplicaHealth.Healthy or ReplicaHealth.Unhealthy && running.Health != replica.Health
                && (replica.HealthAt is null || heartbeat.Timestamp > replica.HealthAt))
            {
                // The agent's judgement travels in every heartbeat too, so a lost health report is made good here.
                effects.Add(await _track.HandleAsync(
                    new ReplicaHealthChanged(Guid.NewGuid(), replica.DeploymentId, heartbeat.Timestamp, heartbeat.HostId, running.Name, running.Revision, running.Index, running.ContainerId, running.Health, running.HealthReason),
                    cancellationToken));
            }

            switch (replica.State)
            {
                case ReplicaState.Stopped or ReplicaState.Lost or ReplicaState.Failed or ReplicaState.Stopping when now - replica.UpdatedAt > settings.OrphanGrace:
                    await OrphanAsync(effects, heartbeat.HostId, running, replica.DeploymentId, $"the store has the replica {replica.State.ToString().ToLowerInvariant()}", now, cancellationToken);
                    break;
                // Only a heartbeat taken after the replica was seen running can say it exited (not one read mid-start).
                case ReplicaState.Running when !running.Running && heartbeat.Timestamp >= replica.UpdatedAt:
                    gone.Add((replica, $"its container exited on {heartbeat.HostId}"));
                    break;
            }
        }

        // Replicas the store has running here that the host no longer has at all (removed outside Workers).
        gone.AddRange(wanted.Values
            .Where(r => r.State == ReplicaState.Running && now - r.UpdatedAt > settings.OrphanGrace && heartbeat.Timestamp > r.UpdatedAt)
            .Select(r => (r, $"its container vanished from {heartbeat.HostId}")));
        foreach (var group in gone.GroupBy(g => g.Replica.DeploymentId))
        {
            if (await store.GetRevisionAsync(group.Key, cancellationToken) is { } revision)
            {
                await Recovery.ReplaceAsync(store, settings, revision, [.. group.Select(g => g.Replica)], group.First().Reason, now, effects, cancellationToken);
            }
        }

        return effects;
    }

    /// <summary>
    /// Announces the orphan and stops it; its event is recorded once per container, however many heartbeats carry it, and
    /// its stop is sent again only at the pace <see cref="OrphanStops"/> keeps.
    /// </summary>
    private async Task OrphanAsync(Effects effects, string hostId, RunningReplica running, Guid deploymentId, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await store.AppendEventAsync(
            new WorkersEvent(0, now, "replica.orphaned", running.Name, running.Revision, hostId, running.Index, $"container {ContainerIds.Short(running.ContainerId)}: {reason}"),
            $"replica.orphaned:{hostId}:{running.ContainerId}",
            cancellationToken);
        if (!_orphanStops.TrySend(hostId, running.ContainerId, now, options.Value.OrphanGrace))
        {
            // A stop for it went out lately and may still be queued on the host: no second one yet.
            return;
        }

        effects.Publish(new ReplicaOrphaned(Guid.NewGuid(), deploymentId, now, hostId, running.Name, running.Revision, running.Index, running.ContainerId, reason));
        effects.Send(hostId, new StopReplicas(Guid.NewGuid(), deploymentId, now, hostId, running.Name, running.Revision, [running.Index]));
    }
}
