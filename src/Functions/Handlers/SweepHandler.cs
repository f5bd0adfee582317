using Microsoft.Extensions.Options;
using Workers.Contracts.Messages;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>
/// The periodic sweep (a timer function on Azure, a scheduled loop self-hosted): deadlines catch what never answers.
/// Replicas on hosts whose heartbeats stopped, or with no result before the start deadline, are replaced elsewhere;
/// stops that never complete are taken as done and replicas a deletion missed are stopped, so that a deletion finishes. Safe to run anywhere, any number of times.
/// </summary>
public sealed class SweepHandler(IDeploymentStore store, TimeProvider time, IOptions<FunctionsOptions> options, TrackHandler track, SecretSealer? sealer = null)
{
    /// <summary>
    /// After a round: the earliest moment a host that is alive now would have been silent for the host timeout, so
    /// that the next round can run then rather than a sweep interval later (a host is declared down within the host
    /// timeout of its last heartbeat, not up to an interval after); null when no host is alive.
    /// </summary>
    public DateTimeOffset? NextHostDeadline { get; private set; }

    public async Task<Effects> HandleAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var settings = options.Value;
        var effects = new Effects();
        var known = await store.GetHostsAsync(cancellationToken);
        var liveness = HostLiveness.Of(known, now, settings.HostTimeout);
        var silent = known
            .Where(h => !liveness.IsAlive(h))
            .Select(h => h.Heartbeat.HostId)
            .ToHashSet(StringComparer.Ordinal);
        NextHostDeadline = known.Where(h => now - h.ReceivedAt <= settings.HostTimeout).Select(h => h.ReceivedAt + settings.HostTimeout).DefaultIfEmpty().Min() is var next && next > now
            ? next
            : null;

        // When no heartbeat at all got through within HostTimeout, the silence is most likely on this side (the
        // broker restarting, or the functions cut off from it), not every host failing at once: nothing is declared
        // down or late until heartbeats flow again, as Kubernetes' node controller stops evicting when a whole zone
        // goes dark. Otherwise a broker restart would fail every deployment for want of a live host.
        var heard = liveness.Heard;
        var down = heard ? silent : [];
        foreach (var host in known.Where(h => down.Contains(h.Heartbeat.HostId)))
        {
            // Recorded once per silence (host.lost), and undone by the host's next heartbeat (host.returned).
            await store.MarkHostLostAsync(host.Heartbeat.HostId, host.ReceivedAt, now, cancellationToken);
        }

        await store.PruneEventsAsync(now - settings.EventRetention, cancellationToken);
        // Planner statistics of tables that grew or changed fast (PostgreSQL), before autovacuum's next look.
        await store.RefreshStatisticsAsync(cancellationToken);
        // Host ports held after their replica ended, until its start command expired: that start can no longer run.
        await store.ReleaseHeldPortsAsync(now, cancellationToken);
        // Outcome events whose publish never happened (the process died between the state change and the publish).
        foreach (var outcome in await store.GetOutboxAsync(now - settings.OutboxGrace, cancellationToken))
        {
            Outcomes.Publish(store, effects, outcome);
        }

        var active = (await store.GetActiveReplicasAsync(cancellationToken)).GroupBy(r => r.DeploymentId).ToList();
        var current = heard ? await store.GetCurrentRevisionsAsync(null, cancellationToken) : [];
        // Names mid-rollout (or rollback): their replicas come and go in waves, never by the refill below.
        var rolling = active.GroupBy(g => g.First().Name)
            .Where(n => n.Count() > 1)
            .Select(n => n.Key)
            .Concat(current.Where(r => r.State is DeploymentState.RollingBack || (r.State == DeploymentState.Pending && active.Any(g => g.Key != r.DeploymentId && g.First().Name == r.Name))).Select(r => r.Name!))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var group in active)
        {
            try
            {
                await SweepRevisionAsync(group, silent, down, heard, rolling, now, settings, effects, cancellationToken);
            }
            catch (ConcurrencyConflictException)
            {
                // Another sweeper (or a planner) took the index or host port first: this revision is looked at again
                // next round, and the other revisions of this round still get theirs.
            }
        }

        if (heard)
        {
            // Current revisions with no replica pending, running or stopping at all (every one lost, and the writer that
            // marked them died or lost a race before placing replacements): place them now.
            var covered = active.Select(g => g.Key).ToHashSet();
            foreach (var revision in current.Where(r => r.State is DeploymentState.Pending or DeploymentState.Running && r.Spec is not null && !covered.Contains(r.DeploymentId)))
            {
                if (!await BackedOffAsync(revision, now, cancellationToken))
                {
                    continue;
                }

                try
                {
                    await Recovery.ReplaceAsync(store, settings, revision, [], $"none of its {revision.Spec!.Replicas} replica(s) was running or on its way", now, effects, cancellationToken);
                }
                catch (ConcurrencyConflictException)
                {
                    // As above: next round.
                }
            }

            foreach (var revision in current.Where(r => r.Spec is not null))
            {
                try
                {
                    await SweepRolloutAsync(revision, rolling, now, settings, effects, cancellationToken);
                }
                catch (ConcurrencyConflictException)
                {
                    // As above: next round.
                }
            }

            // Deletions: a replica that came up after its delete looked (a start already on its way) or is not
            // stopping for any other reason is stopped now, and a name with nothing left is forgotten.
            foreach (var revision in current.Where(r => r.State == DeploymentState.Deleting && r.Name is not null))
            {
                await DeleteHandler.ProceedAsync(store, revision, r => r.State is not (ReplicaState.Stopped or ReplicaState.Stopping), now, effects, cancellationToken);
            }
        }

        return sealer is null ? effects : await sealer.SealAsync(effects, cancellationToken);
    }

    /// <summary>
    /// Rollouts: a step is taken again (in case the message that should have taken it was lost, or two raced), and a rollout that
    /// made no progress (no new replica turned healthy) within the spec's progress deadline fails and rolls back.
    /// </summary>
    private async Task SweepRolloutAsync(RevisionRecord revision, IReadOnlySet<string> rolling, DateTimeOffset now, FunctionsOptions settings, Effects effects, CancellationToken cancellationToken)
    {
        if (revision.State == DeploymentState.Pending)
        {
            var replicas = await store.GetReplicasAsync(revision.DeploymentId, cancellationToken);
            var progressAt = replicas.Where(r => r.Serving && r.HealthAt is not null).Select(r => r.HealthAt!.Value).DefaultIfEmpty(revision.UpdatedAt).Max();
            if (progressAt < revision.UpdatedAt)
            {
                progressAt = revision.UpdatedAt;
            }

            var deadline = revision.Spec!.Update.ProgressDeadline;
            if (now - progressAt > deadline.Value)
            {
                var healthy = replicas.Count(r => r.Serving);
                await Rollouts.FailAsync(store, settings, revision, $"no progress for {deadline}: {healthy}/{revision.Spec.Replicas} replica(s) healthy", now, effects, cancellationToken);
                return;
            }
        }

        // Also every revision still pending: two health reports handled side by side can each see the other replica
        // not yet healthy, and then no later message would finish the revision.
        if (revision.State is DeploymentState.Pending || rolling.Contains(revision.Name!))
        {
            await Rollouts.AdvanceAsync(store, settings, revision.Name!, now, effects, cancellationToken);
        }
    }

    private async Task SweepRevisionAsync(
        IGrouping<Guid, ReplicaRecord> group,
        IReadOnlySet<string> silent,
        IReadOnlySet<string> down,
        bool heard,
        IReadOnlySet<string> rolling,
        DateTimeOffset now,
        FunctionsOptions settings,
        Effects effects,
        CancellationToken cancellationToken)
    {
        var revision = await store.GetRevisionAsync(group.Key, cancellationToken);
        if (revision is null)
        {
            return;
        }

        var onDownHosts = group.Where(r => r.State is ReplicaState.Pending or ReplicaState.Running && down.Contains(r.HostId)).ToList();
        if (onDownHosts.Count > 0)
        {
            var hosts = string.Join(", ", onDownHosts.Select(r => r.HostId).Distinct().Order(StringComparer.Ordinal));
            await Recovery.ReplaceAsync(store, settings, revision, onDownHosts, $"host {hosts} sent no heartbeat for {settings.HostTimeout.TotalSeconds:0}s", now, effects, cancellationToken);
        }

        var late = group.Where(r => heard && r.State == ReplicaState.Pending && !down.Contains(r.HostId) && now - r.UpdatedAt > settings.StartDeadline).ToList();
        if (late.Count > 0)
        {
            var hosts = string.Join(", ", late.Select(r => r.HostId).Distinct().Order(StringComparer.Ordinal));
            await Recovery.ReplaceAsync(store, settings, revision, late, $"no result from host {hosts} within {settings.StartDeadline.TotalSeconds:0}s", now, effects, cancellationToken);
        }

        // A revision short of replicas with nothing on its way to fill the gap (the writer that marked them lost
        // crashed or lost a port race before placing replacements): place them now. Only the name's current
        // revision, since an older one may be short on purpose (replicas displaced by a redeploy).
        if (heard && onDownHosts.Count == 0 && late.Count == 0
            && revision is { State: DeploymentState.Pending or DeploymentState.Running, Spec: { } spec, Name: { } name }
            && !rolling.Contains(name)
            && group.Count() < spec.Replicas
            && (await store.GetCurrentRevisionsAsync(name, cancellationToken)) is [var current]
            && current.DeploymentId == revision.DeploymentId
            && await BackedOffAsync(revision, now, cancellationToken))
        {
            await Recovery.ReplaceAsync(store, settings, revision, [], $"{spec.Replicas - group.Count()} replica(s) had no replacement", now, effects, cancellationToken);
        }

        // A stop on a silent host is taken as done either way: should the container turn up again, it is an orphan.
        foreach (var stuck in group.Where(r => r.State == ReplicaState.Stopping && (silent.Contains(r.HostId) || now - r.UpdatedAt > settings.StopDeadline)))
        {
            effects.Add(await track.HandleAsync(new ReplicaStopped(Guid.NewGuid(), stuck.DeploymentId, now, stuck.HostId, stuck.Name, stuck.Revision, stuck.Index), cancellationToken));
        }
    }

    /// <summary>The back-off before replacing unhealthy replicas: none for the first, then 10 s doubling to 5 minutes.</summary>
    public static TimeSpan UnhealthyBackOff(int unhealthy) =>
        unhealthy <= 1 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Min(300, 10 * Math.Pow(2, Math.Min(unhealthy - 2, 10))));

    /// <summary>
    /// True when the revision may get its replacements now: an image that keeps turning unhealthy (a crash loop) gets
    /// them ever more slowly, counted from the store (its replicas judged unhealthy), not from memory.
    /// </summary>
    private async Task<bool> BackedOffAsync(RevisionRecord revision, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var unhealthy = (await store.GetReplicasAsync(revision.DeploymentId, cancellationToken)).Where(r => r.Health == ReplicaHealth.Unhealthy && r.HealthAt is not null).ToList();
        return unhealthy.Count == 0 || now - unhealthy.Max(r => r.HealthAt!.Value) >= UnhealthyBackOff(unhealthy.Count);
    }
}
