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
        var active = await store.GetOlderActiveRevisionsAsync(delete.Name, long.MaxValue, cancellationToken);
        foreach (var revision in active)
        {
            await store.TransitionRevisionAsync(revision.DeploymentId, Deletable, DeploymentState.Deleting, null, now, cancellationToken);
            // Failed and lost replicas too: a failed start or a host that comes back may still hold a container.
            await TrackHandler.StopAsync(store, revision, r => r.State != ReplicaState.Stopped, effects, now, cancellationToken);
        }

        if (active.Count == 0 && await store.ForgetDeploymentAsync(delete.Name, cancellationToken))
        {
            effects.Publish(new DeploymentDeleted(Guid.NewGuid(), current[0].DeploymentId, now, delete.Name));
        }

        return effects;
    }
}
