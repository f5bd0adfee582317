using Microsoft.Extensions.Options;
using Workers.Contracts.Messages;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>
/// The periodic sweep (a timer function on Azure, a scheduled loop self-hosted): deadlines catch what never answers.
/// Replicas on hosts whose heartbeats stopped, or with no result before the start deadline, are replaced elsewhere;
/// stops that never complete are taken as done so that a deletion finishes. Safe to run anywhere, any number of times.
/// </summary>
public sealed class SweepHandler(IDeploymentStore store, TimeProvider time, IOptions<FunctionsOptions> options, TrackHandler track)
{
    public async Task<Effects> HandleAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var settings = options.Value;
        var effects = new Effects();
        var down = (await store.GetHostsAsync(cancellationToken))
            .Where(h => now - h.ReceivedAt > settings.HostTimeout)
            .Select(h => h.Heartbeat.HostId)
            .ToHashSet(StringComparer.Ordinal);
        foreach (var group in (await store.GetActiveReplicasAsync(cancellationToken)).GroupBy(r => r.DeploymentId))
        {
            var revision = await store.GetRevisionAsync(group.Key, cancellationToken);
            if (revision is null)
            {
                continue;
            }

            var onDownHosts = group.Where(r => r.State is ReplicaState.Pending or ReplicaState.Running && down.Contains(r.HostId)).ToList();
            if (onDownHosts.Count > 0)
            {
                var hosts = string.Join(", ", onDownHosts.Select(r => r.HostId).Distinct().Order(StringComparer.Ordinal));
                await Recovery.ReplaceAsync(store, settings, revision, onDownHosts, $"host {hosts} sent no heartbeat for {settings.HostTimeout.TotalSeconds:0}s", now, effects, cancellationToken);
            }

            var late = group.Where(r => r.State == ReplicaState.Pending && !down.Contains(r.HostId) && now - r.UpdatedAt > settings.StartDeadline).ToList();
            if (late.Count > 0)
            {
                var hosts = string.Join(", ", late.Select(r => r.HostId).Distinct().Order(StringComparer.Ordinal));
                await Recovery.ReplaceAsync(store, settings, revision, late, $"no result from host {hosts} within {settings.StartDeadline.TotalSeconds:0}s", now, effects, cancellationToken);
            }

            foreach (var stuck in group.Where(r => r.State == ReplicaState.Stopping && (down.Contains(r.HostId) || now - r.UpdatedAt > settings.StopDeadline)))
            {
                var done = await track.HandleAsync(new ReplicaStopped(Guid.NewGuid(), stuck.DeploymentId, now, stuck.HostId, stuck.Name, stuck.Revision, stuck.Index), cancellationToken);
                foreach (var message in done.Published)
                {
                    effects.Publish(message);
                }

                foreach (var (hostId, command) in done.Sent)
                {
                    effects.Send(hostId, command);
                }
            }
        }

        return effects;
    }
}
