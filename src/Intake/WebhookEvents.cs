using Workers.Contracts.Messages;
using Workers.Functions.Store;
using Workers.Intake.GitHub;

namespace Workers.Intake;

/// <summary>
/// Webhook deliveries in the event history: <c>webhook.accepted</c> for each deployment a delivery requested,
/// <c>webhook.refused</c> with the reason for one that deploys nothing. Only deliveries whose signature verified are
/// recorded: a caller without the secret must not be able to write to the store (its refusal is logged instead).
/// Each is keyed by the delivery, so a delivery sent again is recorded once.
/// </summary>
internal static class WebhookEvents
{
    public const string Accepted = "webhook.accepted";

    public const string Refused = "webhook.refused";

    public static Task AcceptedAsync(IDeploymentStore store, DateTimeOffset at, string webhook, string deliveryId, string name, string what, CancellationToken cancellationToken) =>
        RecordAsync(store, at, Accepted, webhook, deliveryId, name, what, cancellationToken);

    public static Task RefusedAsync(IDeploymentStore store, DateTimeOffset at, string webhook, string deliveryId, string? name, string reason, CancellationToken cancellationToken) =>
        RecordAsync(store, at, Refused, webhook, deliveryId, name, reason, cancellationToken);

    private static Task RecordAsync(IDeploymentStore store, DateTimeOffset at, string kind, string webhook, string deliveryId, string? name, string message, CancellationToken cancellationToken) =>
        store.AppendEventAsync(
            new WorkersEvent(0, at, kind, Contracts.Spec.DnsLabel.TryParse(name, out var label, out _) ? label.Value : null, null, null, null, $"{webhook} delivery {GitHubHookHandler.Shorten(deliveryId)}: {message}"),
            $"{kind}:{webhook}:{GitHubHookHandler.Shorten(deliveryId)}:{GitHubHookHandler.Shorten(name)}",
            cancellationToken);
}
