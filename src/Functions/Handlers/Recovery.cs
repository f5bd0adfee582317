using Workers.Contracts.Messages;
using Workers.Functions.Planning;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>
/// Replaces replicas that are lost (host down, no result in time, container gone): marks them lost, places
/// replacements under new indexes on other suitable hosts and sends their start commands. When no host can take them,
/// a revision that runs stays up short of them and the sweep tries again each round; one still being deployed fails
/// with the reason and its other replicas stop (unless no heartbeat at all gets through: then the sweep places them
/// once one does).
/// </summary>
internal static class Recovery
{
    public static async Task ReplaceAsync(
        IDeploymentStore store,
        FunctionsOptions options,
        RevisionRecord revision,
        IReadOnlyList<ReplicaRecord> lost,
        string reason,
        DateTimeOffset now,
        Effects effects,
        CancellationToken cancellationToken)
    {
        foreach (var replica in lost)
        {
            await store.UpdateReplicaAsync(replica.DeploymentId, replica.Index, ReplicaState.Lost, null, null, reason, now, cancellationToken);
        }

        if (revision.Spec is not { } spec || revision.State is not (DeploymentState.Pending or DeploymentState.Running))
        {
            return;
        }

        if (await Rollouts.InProgressAsync(store, revision.Name!, cancellationToken))
        {
            // Mid-rollout, replacements come in waves like every other new replica.
            await Rollouts.AdvanceAsync(store, options, revision.Name!, now, effects, cancellationToken);
            return;
        }

        // As many replacements as the revision is short of, not one per replica marked here: a re-run after a crash
        // or a failed attempt (a port conflict, say) between marking and placing still places them, and a concurrent
        // writer that placed them first leaves nothing to do. Two writers that both see the shortfall pick the same
        // new indexes, and the store's key on (deployment, index) lets only one of them through.
        var all = await store.GetReplicasAsync(revision.DeploymentId, cancellationToken);
        var missing = spec.Replicas - all.Count(r => r.State is ReplicaState.Pending or ReplicaState.Running or ReplicaState.Stopping);
        if (missing <= 0)
        {
            return;
        }

        var next = all.Count == 0 ? 0 : all.Max(r => r.Index) + 1;
        var indexes = Enumerable.Range(next, missing).ToList();
        // Any live host may take a replacement, the lost replica's own included when it is still live (a lost
        // result or an exited container): the new index gives a new container, and the old one, if any, is an orphan.
        // On its own host the lost replica's dynamic host ports stay taken: a start that missed its deadline may still
        // come up there (or its port was the one the engine refused), and the planner, drawing ports per name and
        // host, would hand the replacement the very same port for the engine to refuse. Fixed host ports are the
        // spec's and stay as they are.
        var fixedPorts = spec.Ports.Where(p => p.Host is not null).Select(p => (p.Host!.Value, p.Protocol)).ToHashSet();
        var heldByLost = lost
            .SelectMany(r => r.Ports.Where(p => !fixedPorts.Contains((p.HostPort, p.Protocol))).Select(p => (r.HostId, Port: (p.HostPort, p.Protocol))))
            .ToLookup(p => p.HostId, p => p.Port, StringComparer.Ordinal);
        var candidates = (await Inventory.CandidatesAsync(store, now, options.HostTimeout, _ => false, cancellationToken))
            .Select(c => heldByLost.Contains(c.Id.Value) ? c with { PortsTaken = c.PortsTaken.Union(heldByLost[c.Id.Value]).ToHashSet() } : c)
            .ToList();
        var plan = Planner.Plan(spec, candidates, indexes);
        if (!plan.Succeeded && !HostLiveness.Of(await store.GetHostsAsync(cancellationToken), now, options.HostTimeout).Heard)
        {
            // No heartbeat at all got through lately (the broker restarting, or this side cut off from it): no host
            // can be judged, so nothing fails for want of one. The sweep places the shortfall once heartbeats flow.
            return;
        }

        if (!plan.Succeeded && revision.State == DeploymentState.Running)
        {
            // A revision that runs keeps what runs, short of the lost replicas (shown with their reasons), as a
            // Kubernetes Deployment keeps its pods while one waits unscheduled and Nomad blocks the evaluation: the
            // sweep tries again each round and places them once a host can take them. Failing it would stop the
            // replicas that still serve for want of one.
            return;
        }

        if (!plan.Succeeded)
        {
            var why = $"{reason}; no other host can take its replacement: {plan.Reason}";
            var failed = new DeploymentFailed(Guid.NewGuid(), revision.DeploymentId, now, revision.Name!, revision.Revision, why);
            if (await Outcomes.TransitionAsync(store, effects, revision.DeploymentId, [DeploymentState.Pending, DeploymentState.Running], DeploymentState.Failed, why, now, OutboxMessage.Of(failed), cancellationToken))
            {
                await TrackHandler.StopAsync(store, revision, effects, now, cancellationToken);
            }

            return;
        }

        if (!await store.AddReplicasAsync(revision.DeploymentId, revision.Name!, revision.Revision, plan.Placements, [], now, cancellationToken))
        {
            // Deleted meanwhile: no replacement for what the delete stops.
            return;
        }

        foreach (var host in plan.Placements.GroupBy(p => p.HostId))
        {
            effects.Send(host.Key, new StartReplicas(Guid.NewGuid(), revision.DeploymentId, now, host.Key, revision.Revision, now + options.CommandTimeToLive, spec,
                [.. host.Select(p => new ReplicaAssignment(p.Index, p.Ports))]));
        }
    }
}
