using Workers.Contracts.Messages;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>Delete: marks every revision of a name deleting and stops all its replicas; Track forgets it when the last one stops.</summary>
public sealed class DeleteHandler(IDeploymentStore store, TimeProvider time)
{
    private static readonly DeploymentState[] Deletable = [DeploymentState.Pending, DeploymentState.Running, DeploymentState.Failed, DeploymentState.Superseded, DeploymentState.RollingBack, DeploymentState.RolledBack];

    public async Task<Effects> HandleAsync(DeleteDeployment delete, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delete);
        var now = time.GetUtcNow();
        var effects = new Effects();
        var current = await store.GetCurrentRevisionsAsync(delete.Name, cancellationToken);
        if (current.Count == 0)
        {
            // Already gone (or never existed): say so again, so that a waiting client finishes.
            return effects.Publish(new DeploymentDeleted(Guid.NewGuid(), delete.CorrelationId, now, delete.Name));
        }

        await store.TransitionRevisionAsync(current[0].DeploymentId, Deletable, DeploymentState.Deleting, null, now, cancellationToken);
        // Failed and lost replicas too: a failed start or a host that comes back may still hold a container.
        await ProceedAsync(store, current[0], r => r.State != ReplicaState.Stopped, now, effects, cancellationToken);
        return effects;
    }

    /// <summary>
    /// Takes the deletion of <paramref name="current"/>'s name a step on: every revision of the name that still has a
    /// replica not stopped is marked deleting and the replicas <paramref name="stop"/> picks are stopped; once none is
    /// left, the name is forgotten and <see cref="DeploymentDeleted"/> published. The sweep runs it again for names
    /// still being deleted, so that a replica that came up after the delete looked (or was never stopped) is stopped.
    /// </summary>
    internal static async Task ProceedAsync(IDeploymentStore store, RevisionRecord current, Func<ReplicaRecord, bool> stop, DateTimeOffset now, Effects effects, CancellationToken cancellationToken)
    {
        var name = current.Name!;
        var active = await store.GetOlderActiveRevisionsAsync(name, long.MaxValue, cancellationToken);
        foreach (var revision in active)
        {
            await store.TransitionRevisionAsync(revision.DeploymentId, Deletable, DeploymentState.Deleting, null, now, cancellationToken);
            await TrackHandler.StopAsync(store, revision, stop, effects, now, cancellationToken);
        }

        if (active.Count == 0 && await store.ForgetDeploymentAsync(name, cancellationToken))
        {
            effects.Publish(new DeploymentDeleted(Guid.NewGuid(), current.DeploymentId, now, name));
        }
    }
}
