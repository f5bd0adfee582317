using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Planning;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>What one step of a rollout does: the replicas it starts, the older ones it stops, and where it stands.</summary>
/// <param name="Placements">New replicas of the target revision, placed.</param>
/// <param name="Displaced">Older replicas whose fixed host port a placement takes: stopped before it starts on the same host.</param>
/// <param name="Stops">Other older replicas to stop now.</param>
/// <param name="Complete">Every replica of the target is healthy: every older replica is being stopped.</param>
/// <param name="Progress">Where it stands, in words.</param>
/// <param name="Blocked">Why nothing can move at all (no replica can start and none may stop), or null.</param>
internal sealed record RolloutStep(
    IReadOnlyList<ReplicaPlacement> Placements,
    IReadOnlyList<PortReservation> Displaced,
    IReadOnlyList<ReplicaRecord> Stops,
    bool Complete,
    string Progress,
    string? Blocked);

/// <summary>
/// Rolling updates, as a Kubernetes Deployment makes them: the target revision (the name's current one) grows and the
/// older active revisions shrink in steps, so that at every moment at most <c>replicas + maxSurge</c> replicas exist
/// (stopping ones included) and at least <c>replicas - maxUnavailable</c> are healthy. A step is computed afresh from
/// the store each time something changes (a replica started, turned healthy or stopped; the sweep), so a crash or a
/// redelivery at any point only repeats a step. A rollback is the same walk with the restored revision as target.
/// </summary>
internal static class Rollouts
{
    /// <summary>The next step for <paramref name="target"/>'s replicas against the older ones still alive.</summary>
    public static RolloutStep Step(
        DeploymentSpec spec,
        Guid targetId,
        long revision,
        IReadOnlyList<ReplicaRecord> target,
        IReadOnlyList<ReplicaRecord> outgoing,
        ClusterView? cluster,
        DateTimeOffset now,
        TimeSpan hostTimeout)
    {
        var wanted = spec.Replicas;
        var policy = spec.Update;
        var targetAlive = target.Count(r => r.Alive);
        var targetServing = target.Count(r => r.Serving);
        var oldAlive = outgoing.Where(r => r.Alive).ToList();
        var stopping = target.Count(r => r.State == ReplicaState.Stopping) + outgoing.Count(r => r.State == ReplicaState.Stopping);
        var oldServing = oldAlive.Where(r => r.Serving).OrderBy(r => r.Revision).ThenBy(r => r.Index).ToList();
        if (targetServing >= wanted)
        {
            return new RolloutStep([], [], oldAlive, true, $"{targetServing}/{wanted} healthy", null);
        }

        // Older replicas that serve nothing (not started, or unhealthy) cost no availability to stop.
        var free = oldAlive.Where(r => r.State == ReplicaState.Pending || r.Health == ReplicaHealth.Unhealthy).ToList();
        var budget = targetServing + oldServing.Count - Math.Max(0, wanted - policy.MaxUnavailable);
        var start = Starts(spec, target, outgoing);
        var placements = new List<ReplicaPlacement>();
        var displaced = new List<PortReservation>();
        string? unplaced = null;
        if (start > 0 && cluster is not null)
        {
            var olderIds = outgoing.Select(r => r.DeploymentId).ToHashSet();
            var serving = oldServing.Select(r => (r.DeploymentId, r.Index)).ToHashSet();
            var next = target.Count == 0 ? 0 : target.Max(r => r.Index) + 1;
            var together = Planner.Plan(spec, cluster.Candidates(now, hostTimeout), [.. Enumerable.Range(next, start)]);
            if (together.Succeeded)
            {
                placements.AddRange(together.Placements);
                cluster.Record(targetId, spec, revision, together.Placements, []);
                start = 0;
            }

            for (var i = 0; i < start; i++, next++)
            {
                var plain = Planner.Plan(spec, cluster.Candidates(now, hostTimeout), [next]);
                var placed = plain.Succeeded ? plain : null;
                List<PortReservation> taken = [];
                if (placed is null && olderIds.Count > 0 && spec.Ports.Any(p => p.Host is not null))
                {
                    // A fixed host port held by an older replica: the new one can take its place, and the older one
                    // stops first. That costs availability when the older one serves, so only within the budget.
                    var over = Planner.Plan(spec, cluster.Candidates(now, hostTimeout, Inventory.Replaceable(spec, olderIds)), [next]);
                    taken = over.Succeeded ? cluster.Displaced(over.Placements, olderIds) : [];
                    var cost = taken.Count(r => serving.Contains((r.DeploymentId, r.Index)));
                    if (over.Succeeded && cost <= budget)
                    {
                        placed = over;
                        budget -= cost;
                    }
                    else
                    {
                        taken = [];
                    }
                }

                if (placed is null)
                {
                    unplaced = plain.Reason;
                    break;
                }

                placements.AddRange(placed.Placements);
                displaced.AddRange(taken);
                cluster.Record(targetId, spec, revision, placed.Placements, taken);
            }
        }

        var gone = displaced.Select(r => (r.DeploymentId, r.Index)).ToHashSet();
        var stops = free.Concat(oldServing.Take(Math.Max(0, budget))).Where(r => !gone.Contains((r.DeploymentId, r.Index))).Distinct().ToList();
        var progress = $"{targetServing}/{wanted} new healthy, {oldServing.Count} old serving";
        var starting = targetAlive - targetServing + placements.Count;
        progress += unplaced is not null && placements.Count == 0 && starting == 0
            ? $"; waiting for room for a new replica: {unplaced}"
            : starting > 0
                ? $"; waiting for {starting} new replica(s) to become healthy"
                : stopping + stops.Count + displaced.Count > 0 ? $"; waiting for {stopping + stops.Count + displaced.Count} old replica(s) to stop" : string.Empty;
        var blocked = placements.Count == 0 && stops.Count == 0 && stopping == 0 && starting == 0 && targetServing < wanted
            ? $"the update policy (maxSurge {policy.MaxSurge}, maxUnavailable {policy.MaxUnavailable}) cannot be kept: no replica of the new revision can start without stopping one that serves"
              + (unplaced is null ? string.Empty : $" ({unplaced})")
            : null;
        return new RolloutStep(placements, displaced, stops, false, progress, blocked);
    }

    /// <summary>How many replicas of the target the next step may start: up to the wanted count, within the surge.</summary>
    public static int Starts(DeploymentSpec spec, IReadOnlyList<ReplicaRecord> target, IReadOnlyList<ReplicaRecord> outgoing)
    {
        var targetAlive = target.Count(r => r.Alive);
        var existing = targetAlive + outgoing.Count(r => r.Alive) + target.Count(r => r.State == ReplicaState.Stopping) + outgoing.Count(r => r.State == ReplicaState.Stopping);
        return Math.Min(spec.Replicas - targetAlive, spec.Replicas + spec.Update.MaxSurge - existing);
    }

    /// <summary>
    /// Takes the name's rollout one step further, or finishes it: the current revision runs (and the older ones are
    /// superseded), or a rollback is complete. Does nothing when the name is steady (one revision, running).
    /// </summary>
    public static async Task AdvanceAsync(IDeploymentStore store, FunctionsOptions options, string name, DateTimeOffset now, Effects effects, CancellationToken cancellationToken)
    {
        if ((await store.GetCurrentRevisionsAsync(name, cancellationToken)) is not [var current] || current.Spec is null)
        {
            return;
        }

        // Rolling back: the name still points at the failed revision, and the target is the one that ran before it.
        var rollingBack = current.State is DeploymentState.RollingBack or DeploymentState.RolledBack ? current : null;
        var target = current;
        if (rollingBack is not null)
        {
            if (await PreviousAsync(store, rollingBack, cancellationToken) is not { } previous)
            {
                return;
            }

            if (rollingBack.State == DeploymentState.RolledBack)
            {
                // A crash between the rollback's end and the pointer's move: move it now.
                await store.SetCurrentRevisionAsync(name, previous.DeploymentId, previous.Revision, cancellationToken);
                return;
            }

            target = previous;
        }
        else if (current.State is not (DeploymentState.Pending or DeploymentState.Running))
        {
            return;
        }

        var others = (await store.GetLiveRevisionsAsync(name, cancellationToken)).Where(r => r.DeploymentId != target.DeploymentId).ToList();
        if (target.State == DeploymentState.Running && others.Count == 0 && rollingBack is null)
        {
            return;
        }

        var replicas = await store.GetReplicasAsync(target.DeploymentId, cancellationToken);
        var outgoing = new List<ReplicaRecord>();
        foreach (var other in others)
        {
            outgoing.AddRange(await store.GetReplicasAsync(other.DeploymentId, cancellationToken));
        }

        // A target that runs already (a rollback's) and whose starts keep failing (the engine refuses them, say) is not
        // hammered with a new start per failure: its next start waits a back-off that grows with its failed replicas,
        // as the unhealthy ones' replacements do, and the sweep takes the step again once it has passed.
        var failed = target.State == DeploymentState.Running ? replicas.Where(r => r.State == ReplicaState.Failed).ToList() : [];
        var held = failed.Count > 0 && now - failed.Max(r => r.UpdatedAt) < SweepHandler.UnhealthyBackOff(failed.Count);
        var cluster = !held && Starts(target.Spec!, replicas, outgoing) > 0 ? await ClusterView.ReadAsync(store, cancellationToken) : null;
        var step = Step(target.Spec!, target.DeploymentId, target.Revision, replicas, outgoing, cluster, now, options.HostTimeout);
        await ApplyAsync(store, options, target, others, step, now, effects, cancellationToken);
        if (!step.Complete)
        {
            return;
        }

        if (rollingBack is not null)
        {
            var rolledBack = new DeploymentRolledBack(Guid.NewGuid(), rollingBack.DeploymentId, now, name, rollingBack.Revision, target.Revision, rollingBack.Reason ?? "its rollout failed");
            await Outcomes.TransitionAsync(store, effects, rollingBack.DeploymentId, [DeploymentState.RollingBack], DeploymentState.RolledBack, null, now, OutboxMessage.Of(rolledBack), cancellationToken);

            await store.SetCurrentRevisionAsync(name, target.DeploymentId, target.Revision, cancellationToken);
            return;
        }

        var succeeded = new DeploymentSucceeded(Guid.NewGuid(), target.DeploymentId, now, name, target.Revision);
        await Outcomes.TransitionAsync(store, effects, target.DeploymentId, [DeploymentState.Pending], DeploymentState.Running, null, now, OutboxMessage.Of(succeeded), cancellationToken);

        // Every earlier revision still pending or running is superseded, those with no replica left too (a rollout
        // that a newer one overtook before it finished).
        foreach (var older in await store.GetRevisionsAsync(name, new RevisionFilter([DeploymentState.Pending, DeploymentState.Running], Below: target.Revision), cancellationToken))
        {
            await store.TransitionRevisionAsync(older.DeploymentId, [DeploymentState.Pending, DeploymentState.Running], DeploymentState.Superseded, null, now, cancellationToken);
        }
    }

    /// <summary>Records and sends what a step decided: displaced replicas stop before the new ones start on their host.</summary>
    public static async Task ApplyAsync(IDeploymentStore store, FunctionsOptions options, RevisionRecord target, IReadOnlyList<RevisionRecord> others, RolloutStep step, DateTimeOffset now, Effects effects, CancellationToken cancellationToken)
    {
        if (step.Placements.Count > 0)
        {
            if (!await store.AddReplicasAsync(target.DeploymentId, target.Name!, target.Revision, step.Placements, step.Displaced, now, cancellationToken))
            {
                // Deleted meanwhile: the delete stops what runs.
                return;
            }

            SendDisplacedStops(others, step.Displaced, target.Name!, now, effects);
            SendStarts(target.DeploymentId, target.Revision, target.Spec!, step.Placements, options, now, effects);
        }

        await StopAsync(store, others, step.Stops, now, effects, cancellationToken);
    }

    /// <summary>Marks the older replicas stopping and sends each host one stop per revision.</summary>
    public static async Task StopAsync(IDeploymentStore store, IReadOnlyList<RevisionRecord> others, IReadOnlyList<ReplicaRecord> stops, DateTimeOffset now, Effects effects, CancellationToken cancellationToken)
    {
        foreach (var revision in stops.GroupBy(r => r.DeploymentId))
        {
            var record = others.First(o => o.DeploymentId == revision.Key);
            var indexes = revision.Select(r => r.Index).ToHashSet();
            await TrackHandler.StopAsync(store, record, r => indexes.Contains(r.Index) && r.State is ReplicaState.Pending or ReplicaState.Running, effects, now, cancellationToken);
        }
    }

    /// <summary>Stops for older replicas whose fixed host ports new ones take, one per host and revision.</summary>
    public static void SendDisplacedStops(IReadOnlyList<RevisionRecord> older, IReadOnlyList<PortReservation> displaced, string name, DateTimeOffset now, Effects effects)
    {
        foreach (var group in displaced.GroupBy(r => (r.HostId, r.DeploymentId)))
        {
            var revision = older.First(r => r.DeploymentId == group.Key.DeploymentId);
            effects.Send(group.Key.HostId, new StopReplicas(Guid.NewGuid(), revision.DeploymentId, now, group.Key.HostId, name, revision.Revision, [.. group.Select(r => r.Index).Order()]));
        }
    }

    /// <summary>
    /// One start command per host for the placements, valid for the command time to live from <paramref name="now"/>,
    /// or until <paramref name="expiresAt"/> when the placements were made earlier (a start sent again).
    /// </summary>
    public static void SendStarts(Guid deploymentId, long revision, DeploymentSpec spec, IEnumerable<ReplicaPlacement> placements, FunctionsOptions options, DateTimeOffset now, Effects effects, DateTimeOffset? expiresAt = null)
    {
        foreach (var host in placements.GroupBy(p => p.HostId))
        {
            effects.Send(host.Key, new StartReplicas(Guid.NewGuid(), deploymentId, now, host.Key, revision, expiresAt ?? now + options.CommandTimeToLive, spec,
                [.. host.Select(p => new ReplicaAssignment(p.Index, p.Ports))]));
        }
    }

    /// <summary>
    /// The current revision's rollout failed (a replica failed or turned unhealthy, or no progress before the deadline).
    /// With <c>autoRollback</c> and a revision that ran healthy before it, that one is restored in waves; otherwise the
    /// revision fails and its replicas stop. A revision that is not rolling out is left alone.
    /// </summary>
    public static async Task FailAsync(IDeploymentStore store, FunctionsOptions options, RevisionRecord revision, string reason, DateTimeOffset now, Effects effects, CancellationToken cancellationToken)
    {
        if (revision.State != DeploymentState.Pending || revision.Spec is not { } spec || revision.Name is not { } name)
        {
            return;
        }

        if (spec.Update.AutoRollback && await PreviousAsync(store, revision, cancellationToken) is { } previous)
        {
            await store.TransitionRevisionAsync(revision.DeploymentId, [DeploymentState.Pending], DeploymentState.RollingBack, $"rolled back to revision {previous.Revision}: {reason}", now, cancellationToken);
            await AdvanceAsync(store, options, name, now, effects, cancellationToken);
            return;
        }

        var failed = new DeploymentFailed(Guid.NewGuid(), revision.DeploymentId, now, name, revision.Revision, reason);
        if (await Outcomes.TransitionAsync(store, effects, revision.DeploymentId, [DeploymentState.Pending], DeploymentState.Failed, reason, now, OutboxMessage.Of(failed), cancellationToken))
        {
            await TrackHandler.StopAsync(store, revision, effects, now, cancellationToken);
        }
    }

    /// <summary>True when more than one revision of the name has live replicas: placement then goes by waves.</summary>
    public static async Task<bool> InProgressAsync(IDeploymentStore store, string name, CancellationToken cancellationToken) =>
        (await store.GetLiveRevisionsAsync(name, cancellationToken)).Count > 1;

    /// <summary>The newest revision before <paramref name="revision"/> that ran healthy and was not replaced since.</summary>
    private static async Task<RevisionRecord?> PreviousAsync(IDeploymentStore store, RevisionRecord revision, CancellationToken cancellationToken) =>
        (await store.GetRevisionsAsync(revision.Name!, new RevisionFilter([DeploymentState.Running], Below: revision.Revision, Limit: 1), cancellationToken)).FirstOrDefault();
}
