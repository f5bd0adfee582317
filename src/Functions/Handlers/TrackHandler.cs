using Microsoft.Extensions.Options;
using Workers.Contracts.Messages;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>
/// Track: moves replicas and revisions through their states from the agents' results and health reports (never
/// backwards), takes rollouts step by step (<see cref="Rollouts"/>), publishes deployment succeeded / failed / rolled
/// back / deleted, and sends the stops that follow: older replicas as new ones turn healthy, the rest of a revision that
/// failed, and any replica that started after it was no longer wanted.
/// </summary>
public sealed class TrackHandler(IDeploymentStore store, TimeProvider time, IOptions<FunctionsOptions>? options = null, SecretSealer? sealer = null)
{
    private readonly FunctionsOptions _settings = options?.Value ?? new FunctionsOptions();

    public async Task<Effects> HandleAsync(ReplicaStarted started, CancellationToken cancellationToken) =>
        await SealAsync(await TrackAsync(started, cancellationToken), cancellationToken);

    public async Task<Effects> HandleAsync(ReplicaHealthChanged health, CancellationToken cancellationToken) =>
        await SealAsync(await TrackAsync(health, cancellationToken), cancellationToken);

    public async Task<Effects> HandleAsync(ReplicaFailed failed, CancellationToken cancellationToken) =>
        await SealAsync(await TrackAsync(failed, cancellationToken), cancellationToken);

    public async Task<Effects> HandleAsync(ReplicaStopped stopped, CancellationToken cancellationToken) =>
        await SealAsync(await TrackAsync(stopped, cancellationToken), cancellationToken);

    /// <summary>
    /// Replicas reported running together (a batch off the queue): each deployment's are moved, checked against its
    /// revision and its replicas read once, and its rollout advanced once for all of them, with what one at a time
    /// would do (<c>HandleBatch_…</c> tests).
    /// </summary>
    public async Task<Effects> HandleAsync(IReadOnlyList<ReplicaStarted> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var effects = new Effects();
        foreach (var deployment in batch.GroupBy(s => s.CorrelationId))
        {
            effects.Add(await TrackAsync([.. deployment], cancellationToken));
        }

        return await SealAsync(effects, cancellationToken);
    }

    /// <summary>
    /// Health reports that came together: a deployment's healthy ones are recorded and its rollout advanced once for
    /// all of them; a deployment with an unhealthy report among them is taken one report at a time, as it always was.
    /// </summary>
    public async Task<Effects> HandleAsync(IReadOnlyList<ReplicaHealthChanged> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var effects = new Effects();
        foreach (var deployment in batch.GroupBy(h => h.CorrelationId))
        {
            if (deployment.Any(h => h.Health != ReplicaHealth.Healthy))
            {
                foreach (var health in deployment)
                {
                    effects.Add(await TrackAsync(health, cancellationToken));
                }

                continue;
            }

            effects.Add(await TrackHealthyAsync([.. deployment], cancellationToken));
        }

        return await SealAsync(effects, cancellationToken);
    }

    private Task<Effects> TrackAsync(ReplicaStarted started, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(started);
        return TrackAsync([started], cancellationToken);
    }

    /// <summary>
    /// One deployment's replicas reported running (one, or a batch's): moved to running, and those nobody wants any more
    /// stopped; then its rollout is advanced once for all of them.
    /// </summary>
    private async Task<Effects> TrackAsync(IReadOnlyList<ReplicaStarted> started, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var effects = new Effects();
        var moved = await store.MarkRunningAsync(started, now, cancellationToken) == started.Count;

        var revision = await store.GetRevisionAsync(started[0].CorrelationId, cancellationToken);
        var running = revision is null ? [] : (await store.GetReplicasAsync(revision.DeploymentId, cancellationToken))
            .Where(r => r.State == ReplicaState.Running).Select(r => r.Index).ToHashSet();
        foreach (var unwanted in started.Where(s => !running.Contains(s.Index)))
        {
            // A replica nobody wants any more (late, superseded, deleted, or unknown) is stopped, never left behind.
            effects.Send(unwanted.HostId, new StopReplicas(Guid.NewGuid(), unwanted.CorrelationId, now, unwanted.HostId, unwanted.Name, unwanted.Revision, [unwanted.Index]));
        }

        if (revision is null || started.All(s => !running.Contains(s.Index)))
        {
            return effects;
        }

        await Rollouts.AdvanceAsync(store, _settings, started[0].Name, now, effects, cancellationToken);
        if (!moved)
        {
            await Outcomes.RepublishAsync(store, effects, started[0].Name, now, cancellationToken);
        }

        return effects;
    }

    /// <summary>
    /// One deployment's replicas reported healthy (one, or a batch's): recorded, then its rollout advanced once for all
    /// of them (or finished).
    /// </summary>
    private async Task<Effects> TrackHealthyAsync(IReadOnlyList<ReplicaHealthChanged> healthy, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var effects = new Effects();
        if (await store.GetRevisionAsync(healthy[0].CorrelationId, cancellationToken) is not { } revision || revision.DeploymentId != healthy[0].CorrelationId)
        {
            return effects;
        }

        var changed = await store.UpdateReplicaHealthAsync(healthy, cancellationToken) == healthy.Count;

        await Rollouts.AdvanceAsync(store, _settings, healthy[0].Name, now, effects, cancellationToken);
        if (!changed)
        {
            await Outcomes.RepublishAsync(store, effects, healthy[0].Name, now, cancellationToken);
        }

        return effects;
    }

    /// <summary>
    /// A replica's health changed. Healthy ones let a rollout advance (or finish). An unhealthy replica of a revision
    /// rolling out fails that rollout (and rolls it back when the spec says so); one of a running revision is given up
    /// and stopped, and the sweep places its replacement after a back-off that grows with each unhealthy replica.
    /// </summary>
    private async Task<Effects> TrackAsync(ReplicaHealthChanged health, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(health);
        if (health.Health == ReplicaHealth.Healthy)
        {
            return await TrackHealthyAsync([health], cancellationToken);
        }

        var now = time.GetUtcNow();
        var effects = new Effects();
        if (health.Health != ReplicaHealth.Unhealthy
            || await store.GetRevisionAsync(health.CorrelationId, cancellationToken) is not { } revision || revision.DeploymentId != health.CorrelationId)
        {
            return effects;
        }

        var changed = await store.UpdateReplicaHealthAsync(health.CorrelationId, health.Index, health.Health, health.ContainerId, health.Reason, health.Timestamp, cancellationToken);
        if (changed)
        {
            var reason = $"replica {health.Index} on {health.HostId} is unhealthy: {health.Reason}";
            var current = await IsCurrentAsync(revision, health.Name, cancellationToken);
            if (current && revision.State == DeploymentState.Pending)
            {
                await Rollouts.FailAsync(store, _settings, revision, reason, now, effects, cancellationToken);
                return effects;
            }

            // A running revision gives an unhealthy replica up, the current one as well as one that is not current
            // any more: the target of a rollback (which then starts a replacement, or it would wait for this replica
            // forever) or an outgoing one (which the rollout replaces with new replicas anyway).
            if (revision.State == DeploymentState.Running
                && await store.UpdateReplicaAsync(revision.DeploymentId, health.Index, ReplicaState.Lost, null, null, health.Reason, now, cancellationToken))
            {
                await StopAsync(store, revision, r => r.Index == health.Index && r.State == ReplicaState.Lost, effects, now, cancellationToken);
            }
        }

        await Rollouts.AdvanceAsync(store, _settings, health.Name, now, effects, cancellationToken);
        if (!changed)
        {
            await Outcomes.RepublishAsync(store, effects, health.Name, now, cancellationToken);
        }

        return effects;
    }

    private async Task<Effects> TrackAsync(ReplicaFailed failed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(failed);
        var now = time.GetUtcNow();
        var effects = new Effects();
        var revision = await store.GetRevisionAsync(failed.CorrelationId, cancellationToken);
        var replica = revision is null ? null : await store.FindReplicaAsync(revision.DeploymentId, failed.Index, cancellationToken);

        // A failure counts only for a replica still being started (or already failed: a redelivery). A late or
        // repeated failure of a replica that runs, was replaced or was stopped (a start delivered twice and refused
        // the second time, say) never moves it backwards.
        if (revision is null || replica is not { State: ReplicaState.Pending or ReplicaState.Failed })
        {
            return effects;
        }

        if (replica.State == ReplicaState.Pending && failed.Timestamp - replica.UpdatedAt >= _settings.CommandTimeToLive)
        {
            // The start command outlived its time to live before the agent got to it (a broker outage, a host that
            // came back late) and was refused as expired: that says nothing about the spec, so place it again.
            await Recovery.ReplaceAsync(store, _settings, revision, [replica], $"its start command expired on {failed.HostId}: {failed.Reason}", now, effects, cancellationToken);
            return effects;
        }

        if (replica.State == ReplicaState.Pending && failed.HostPortTaken && revision.Spec is { } spec && spec.Ports.All(p => p.Host is null))
        {
            // A host port the planner chose was still held (a container it no longer counted, not yet gone): placement's
            // fault, not the spec's, so place it again. A fixed host port taken is the spec's problem and fails below.
            await Recovery.ReplaceAsync(store, _settings, revision, [replica], $"its host port was taken on {failed.HostId}: {failed.Reason}", now, effects, cancellationToken);
            return effects;
        }

        var redelivered = !await store.UpdateReplicaAsync(failed.CorrelationId, failed.Index, ReplicaState.Failed, null, null, failed.Reason, now, cancellationToken);
        var reason = $"replica {failed.Index} on {failed.HostId} failed: {failed.Reason}";
        if (revision.State == DeploymentState.Pending && await IsCurrentAsync(revision, failed.Name, cancellationToken))
        {
            await Rollouts.FailAsync(store, _settings, revision, reason, now, effects, cancellationToken);
        }
        else if (revision.State == DeploymentState.Failed)
        {
            // A redelivery after a crash must still stop what the failed revision started.
            await StopAsync(revision, effects, now, cancellationToken);
        }
        else
        {
            await Rollouts.AdvanceAsync(store, _settings, failed.Name, now, effects, cancellationToken);
        }

        if (redelivered)
        {
            await Outcomes.RepublishAsync(store, effects, failed.Name, now, cancellationToken);
        }

        return effects;
    }

    private async Task<Effects> TrackAsync(ReplicaStopped stopped, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stopped);
        var now = time.GetUtcNow();
        var effects = new Effects();
        var moved = await store.UpdateReplicaAsync(stopped.CorrelationId, stopped.Index, ReplicaState.Stopped, null, null, null, now, cancellationToken);
        var revision = await store.GetRevisionAsync(stopped.CorrelationId, cancellationToken);
        if (revision is { State: DeploymentState.Deleting, Name: { } name }
            && (await store.GetOlderActiveRevisionsAsync(name, long.MaxValue, cancellationToken)).Count == 0
            && await store.ForgetDeploymentAsync(name, cancellationToken))
        {
            effects.Publish(new DeploymentDeleted(Guid.NewGuid(), revision.DeploymentId, now, name));
        }
        else if (revision is { State: not DeploymentState.Deleting })
        {
            // A stopped replica makes room for the next wave of a rollout.
            await Rollouts.AdvanceAsync(store, _settings, stopped.Name, now, effects, cancellationToken);
            if (!moved)
            {
                await Outcomes.RepublishAsync(store, effects, stopped.Name, now, cancellationToken);
            }
        }

        return effects;
    }

    /// <summary>Sends a stop for every replica of the revision that is not stopped, failed or lost, grouped by host.</summary>
    internal static Task StopAsync(IDeploymentStore store, RevisionRecord revision, Effects effects, DateTimeOffset now, CancellationToken cancellationToken) =>
        StopAsync(store, revision, r => r.State is not (ReplicaState.Stopped or ReplicaState.Failed or ReplicaState.Lost), effects, now, cancellationToken);

    /// <summary>Marks the revision's replicas that <paramref name="stop"/> picks stopping and sends each host one stop for them.</summary>
    internal static async Task StopAsync(IDeploymentStore store, RevisionRecord revision, Func<ReplicaRecord, bool> stop, Effects effects, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var replicas = await store.GetReplicasAsync(revision.DeploymentId, cancellationToken);
        foreach (var host in replicas.Where(stop).GroupBy(r => r.HostId))
        {
            foreach (var replica in host)
            {
                await store.UpdateReplicaAsync(replica.DeploymentId, replica.Index, ReplicaState.Stopping, null, null, null, now, cancellationToken);
            }

            effects.Send(host.Key, new StopReplicas(Guid.NewGuid(), revision.DeploymentId, now, host.Key, revision.Name!, revision.Revision, [.. host.Select(r => r.Index)]));
        }
    }

    /// <summary>True when <paramref name="revision"/> is its name's current one (the one a rollout is taking it to).</summary>
    private async Task<bool> IsCurrentAsync(RevisionRecord revision, string name, CancellationToken cancellationToken) =>
        (await store.GetCurrentRevisionsAsync(name, cancellationToken)).FirstOrDefault()?.DeploymentId == revision.DeploymentId;

    private Task StopAsync(RevisionRecord revision, Effects effects, DateTimeOffset now, CancellationToken cancellationToken) =>
        StopAsync(store, revision, effects, now, cancellationToken);

    /// <summary>Start commands made on the way (a rollout's next wave, a replacement) get their secrets sealed to their hosts.</summary>
    private async Task<Effects> SealAsync(Effects effects, CancellationToken cancellationToken) =>
        sealer is null ? effects : await sealer.SealAsync(effects, cancellationToken);
}
