using Workers.Contracts.Messages;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>
/// Outcome events (succeeded, failed, rolled back) go out at least once: each is written to the store's outbox in the
/// same transaction as the state change it announces, published with the handler's other effects, and cleared once
/// published. A crash in between leaves the row: the redelivered message that made the change publishes it again
/// (<see cref="RepublishAsync"/>), and the sweep publishes whatever is left after a grace time (subscribers deduplicate
/// by <c>CorrelationId</c>).
/// </summary>
internal static class Outcomes
{
    /// <summary>Moves the revision and, when this call moved it, publishes <paramref name="outcome"/>.</summary>
    public static async Task<bool> TransitionAsync(
        IDeploymentStore store,
        Effects effects,
        Guid deploymentId,
        IReadOnlyCollection<DeploymentState> from,
        DeploymentState to,
        string? reason,
        DateTimeOffset now,
        OutboxMessage outcome,
        CancellationToken cancellationToken)
    {
        if (!await store.TransitionRevisionAsync(deploymentId, from, to, reason, now, outcome, cancellationToken))
        {
            return false;
        }

        Publish(store, effects, outcome);
        return true;
    }

    /// <summary>
    /// A message that changed nothing may be the redelivery of one whose handler died after its transition and before
    /// its publish: the outcomes of <paramref name="name"/> still in the outbox go out again. Read only on that path,
    /// so the common one costs no extra query.
    /// </summary>
    public static async Task RepublishAsync(IDeploymentStore store, Effects effects, string name, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var outcome in await store.GetOutboxAsync(now, cancellationToken))
        {
            if (NameOf(outcome.Message) == name && !effects.Published.Any(p => ReferenceEquals(p, outcome.Message) || Equals(p, outcome.Message)))
            {
                Publish(store, effects, outcome);
            }
        }
    }

    private static string? NameOf(object message) => message switch
    {
        DeploymentSucceeded m => m.Name,
        DeploymentFailed m => m.Name,
        DeploymentRolledBack m => m.Name,
        _ => null,
    };

    /// <summary>Publishes an outbox message and clears it once it went out.</summary>
    public static void Publish(IDeploymentStore store, Effects effects, OutboxMessage outcome) =>
        effects.Publish(outcome.Message).OnDispatched(token => store.ClearOutboxAsync(outcome.MessageId, token));
}
