using Workers.Functions.Handlers;
using Workers.Functions.Store;

namespace Workers.Intake;

/// <summary>Publishes what a webhook delivery asks for at most once per delivery id.</summary>
internal static class Deliveries
{
    /// <summary>False when the delivery was claimed before: a redelivery, which publishes nothing.</summary>
    public static async Task<bool> PublishOnceAsync(IDeploymentStore store, IEffectsDispatcher dispatcher, string source, string deliveryId, Effects effects, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!await store.TryClaimDeliveryAsync(source, deliveryId, now, cancellationToken))
        {
            return false;
        }

        try
        {
            await dispatcher.DispatchAsync(effects, cancellationToken);
        }
        catch
        {
            // Not published: give the delivery id back so that the sender's retry is acted on, then fail the request.
            await store.ReleaseDeliveryAsync(source, deliveryId, CancellationToken.None);
            throw;
        }

        return true;
    }
}
