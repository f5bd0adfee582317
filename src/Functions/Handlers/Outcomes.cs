using Workers.Contracts.Messages;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>
/// Outcome events (succeeded, failed, rolled back) go out at least once: each is written to the store's outbox in the
/// same transaction as the state change it announces, published with the handler's other effects, and cleared once
/// published. A crash in between leaves the row, and the sweep publishes it (subscribers deduplicate by
/// <c>CorrelationId</c>).
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

    /// <summary>Publishes an outbox message and clears it once it went out.</summary>
    public static void Publish(IDeploymentStore store, Effects effects, OutboxMessage outcome) =>
        effects.Publish(outcome.Message).OnDispatched(token => store.ClearOutboxAsync(outcome.MessageId, token));
}
