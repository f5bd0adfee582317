using Microsoft.Extensions.Options;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Planning;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>
/// Plan and fan out: places an accepted spec on live hosts, records the plan (the store's unique port key settles
/// races between concurrent planners), and sends each chosen host one command listing its replicas. Redelivered, it
/// re-sends the commands of the plan it already recorded instead of planning again.
/// </summary>
public sealed class PlanHandler(IDeploymentStore store, TimeProvider time, IOptions<FunctionsOptions> options, SecretSealer? sealer = null)
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
        // In the order the requests were made, not the order they were accepted: two validators can accept two
        // requests for one name the other way round, and the later request must be the later revision.
        foreach (var accepted in batch.DistinctBy(a => a.CorrelationId).OrderBy(a => a.RequestedAt ?? a.Timestamp))
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
            var view = await ClusterView.ReadAsync(store, cancellationToken);
            foreach (var accepted in fresh)
            {
                await PlanAsync(accepted, view, now, effects, cancellationToken);
            }
        }

        return sealer is null ? effects : await sealer.SealAsync(effects, cancellationToken);
    }

    private async Task PlanAsync(DeploymentAccepted accepted, ClusterView view, DateTimeOffset now, Effects effects, CancellationToken cancellationToken)
    {
        var spec = accepted.Spec;
        var name = spec.Name.Value;
        if ((await store.GetCurrentRevisionsAsync(name, cancellationToken)) is [{ State: DeploymentState.Pending or DeploymentState.Running, Spec: { } same } current]
            && SpecWriter.ToJson(same) == SpecWriter.ToJson(spec))
        {
            // The spec that already runs (or is rolling out): no new revision. The request stands for that revision,
            // so whoever waits on it hears how that one ends.
            await store.AliasRequestAsync(accepted.CorrelationId, current.DeploymentId, cancellationToken);
            if (current.State == DeploymentState.Running)
            {
                effects.Publish(new DeploymentSucceeded(Guid.NewGuid(), accepted.CorrelationId, now, name, current.Revision));
            }

            return;
        }

        var older = await store.GetLiveRevisionsAsync(name, cancellationToken);
        var outgoing = new List<ReplicaRecord>();
        foreach (var revision in older)
        {
            outgoing.AddRange(await store.GetReplicasAsync(revision.DeploymentId, cancellationToken));
        }

        // With nothing running yet every replica starts at once, all or none; otherwise the first wave of a rolling update.
        var step = older.Count == 0
            ? Whole(Planner.Plan(spec, view.Candidates(now, options.Value.HostTimeout)))
            : Rollouts.Step(spec, accepted.CorrelationId, 0, [], outgoing, view, now, options.Value.HostTimeout);
        if (step.Blocked is { } refusal)
        {
            await RejectAsync(accepted, refusal, now, effects, cancellationToken);
            return;
        }

        var times = new RequestTimes(accepted.RequestedAt ?? accepted.Timestamp, accepted.Timestamp);
        if (await store.SavePlanAsync(accepted.CorrelationId, spec, accepted.RequestedBy, times, step.Placements, step.Displaced, now, cancellationToken) is not { } number)
        {
            // Another functions host planned a later request for the name while this one was in flight.
            await RejectAsync(accepted, $"a later request for {name} was planned while this one was on its way; the later request stands", now, effects, cancellationToken);
            return;
        }

        if (older.Count == 0)
        {
            view.Record(accepted.CorrelationId, spec, number, step.Placements, []);
        }

        if (older.Count > 0)
        {
            // An earlier rollout still under way is overtaken: its replicas are now just older ones to replace, and it
            // can no longer finish (or be rolled back to).
            foreach (var overtaken in await store.GetRevisionsAsync(name, new RevisionFilter([DeploymentState.Pending], Below: number), cancellationToken))
            {
                await store.TransitionRevisionAsync(overtaken.DeploymentId, [DeploymentState.Pending], DeploymentState.Superseded, $"overtaken by revision {number}", now, cancellationToken);
            }
        }

        Rollouts.SendDisplacedStops(older, step.Displaced, name, now, effects);
        Rollouts.SendStarts(accepted.CorrelationId, number, spec, step.Placements, options.Value, now, effects);
        await Rollouts.StopAsync(store, older, step.Stops, now, effects, cancellationToken);
    }

    private async Task RejectAsync(DeploymentAccepted accepted, string reason, DateTimeOffset now, Effects effects, CancellationToken cancellationToken)
    {
        var name = accepted.Spec.Name.Value;
        await store.RecordRejectionAsync(accepted.CorrelationId, name, reason, [], accepted.RequestedBy, now, cancellationToken);
        effects.Publish(new DeploymentRejected(Guid.NewGuid(), accepted.CorrelationId, now, name, reason, []));
    }

    private static RolloutStep Whole(PlacementResult plan) => new(plan.Placements, [], [], false, string.Empty, plan.Reason);

    /// <summary>
    /// Sends the starts of the revision's pending replicas again (the first send may have died with its handler), each
    /// with the deadline of its placement, not a new one: the first command may still be on its way, arrive late, be
    /// refused as expired and have its replica placed again, with its host port given to the replacement; a copy that
    /// outlived it would then start the replica on that port (fault seed 626604053: a refused bind on the host). A
    /// placement whose deadline has passed is left to the expiry and the start deadline.
    /// </summary>
    private async Task ResendAsync(RevisionRecord revision, DateTimeOffset now, Effects effects, CancellationToken cancellationToken)
    {
        var timeToLive = options.Value.CommandTimeToLive;
        var replicas = await store.GetReplicasAsync(revision.DeploymentId, cancellationToken);
        foreach (var placed in replicas.Where(r => r.State == ReplicaState.Pending && r.UpdatedAt + timeToLive > now).GroupBy(r => r.UpdatedAt))
        {
            var pending = placed.Select(r => new ReplicaPlacement(r.Index, r.HostId, r.Ports));
            Rollouts.SendStarts(revision.DeploymentId, revision.Revision, revision.Spec!, pending, options.Value, now, effects, expiresAt: placed.Key + timeToLive);
        }
    }
}
