using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Workers.Contracts.Messages;
using Workers.Functions.Handlers;
using Workers.Functions.Store;
using Workers.Intake.Http;
using Workers.Intake.Security;
using Workers.Intake.Triggers;

namespace Workers.Intake.GitHub;

/// <summary>One GitHub webhook delivery as received: the headers that matter and the raw body.</summary>
/// <param name="Event"><c>X-GitHub-Event</c>.</param>
/// <param name="DeliveryId"><c>X-GitHub-Delivery</c>.</param>
/// <param name="Signature"><c>X-Hub-Signature-256</c>.</param>
/// <param name="Body">The raw body, exactly as signed.</param>
public sealed record GitHubDelivery(string? Event, string? DeliveryId, string? Signature, ReadOnlyMemory<byte> Body);

/// <summary>
/// <c>POST /api/hooks/github</c>: verifies the signature, answers <c>ping</c>, maps <c>push</c>, <c>release</c> and
/// <c>package</c> (or <c>registry_package</c>) events through the trigger rules and publishes one deployment request
/// per matching rule. An event is acted on once by what it is (<see cref="GitHubEvent.Identity"/>, recorded in the
/// store), not by its delivery id, which GitHub does not sign; and an event older than the newest one a rule has
/// deployed is refused for that rule (going back is an explicit rollback).
/// </summary>
public sealed class GitHubHookHandler(IOptions<IntakeOptions> options, TriggerRules rules, IDeploymentStore store, IEffectsDispatcher dispatcher, UnverifiedBodies bodies, TimeProvider time, ILogger<GitHubHookHandler> logger)
{
    /// <summary>The store's record of events acted on, by identity.</summary>
    internal const string Events = "github-event";

    private const string Webhook = "github";

    private readonly byte[] _secret = Encoding.UTF8.GetBytes(options.Value.GitHubSecret ?? string.Empty);

    /// <summary>The slots that bodies are read in before their signature is known.</summary>
    public UnverifiedBodies Bodies => bodies;

    /// <summary>Checks the signature header before the body is read; a check to stream the body through when it is well-formed.</summary>
    public SignatureCheck Start(GitHubDelivery delivery, out IBodySignature? signature)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return GitHubSignature.Start(_secret, delivery.Signature, out signature);
    }

    /// <summary>The 401 for a delivery whose signature is not good, logged with the reason.</summary>
    public IntakeResult Refuse(string? deliveryId, SignatureCheck check)
    {
        IntakeLog.WebhookRefused(logger, Webhook, Shorten(deliveryId), check);
        return IntakeResult.Problem(StatusCodes.Status401Unauthorized, "the X-Hub-Signature-256 signature is missing or does not match the body");
    }

    /// <summary>Verifies the signature over the whole body, then acts on the delivery.</summary>
    public async Task<IntakeResult> HandleAsync(GitHubDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var check = GitHubSignature.Verify(_secret, delivery.Signature, delivery.Body.Span);
        return check == SignatureCheck.Valid ? await HandleVerifiedAsync(delivery, cancellationToken) : Refuse(delivery.DeliveryId, check);
    }

    /// <summary>Acts on a delivery whose signature was found good.</summary>
    public async Task<IntakeResult> HandleVerifiedAsync(GitHubDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (delivery.Event == "ping")
        {
            return new IntakeResult(StatusCodes.Status200OK, new HookAnswer(delivery.DeliveryId, "pong", []));
        }

        if (string.IsNullOrEmpty(delivery.Event) || string.IsNullOrEmpty(delivery.DeliveryId))
        {
            return IntakeResult.Problem(StatusCodes.Status400BadRequest, "X-GitHub-Event and X-GitHub-Delivery are required");
        }

        if (GitHubEventReader.Read(delivery.Event, delivery.Body.Span, out var reason) is not { } @event)
        {
            return await NothingMatchedAsync(delivery, reason, cancellationToken);
        }

        // A rule whose image needs a value this event does not give (an untagged container version has no {tag};
        // GitHub sends those for each platform of a multi-platform image) does not apply to it.
        var all = rules.Match(@event);
        var matches = all.Where(m => m.Missing.Count == 0).ToList();
        if (matches.Count == 0)
        {
            return await NothingMatchedAsync(delivery, all.Count == 0
                ? $"no trigger rule matches {@event.Kind} of {@event.Repository} {Describe(@event)}"
                : string.Join("; ", all.Select(m => $"rule {m.Index} ({m.Rule}) fills its image with {string.Join(", ", m.Missing)}, which this {@event.Kind} of {Describe(@event)} does not give")), cancellationToken);
        }

        var effects = new Effects();
        var accepted = new List<AcceptedDeployment>();
        var stale = new List<string>();
        var now = time.GetUtcNow();
        foreach (var match in matches)
        {
            var rendered = match.Template.Render(match.Image, out var specText);
            if (!rendered.IsValid)
            {
                IntakeLog.InvalidRendering(logger, Webhook, delivery.DeliveryId, string.Join("; ", rendered.Problems.Select(p => p.Message)));
                await WebhookEvents.RefusedAsync(store, now, Webhook, delivery.DeliveryId, match.Template.Name, $"rule {match.Index} ({match.Rule}) gives an invalid spec for {Describe(@event)}: {string.Join("; ", rendered.Problems.Select(p => p.Message))}", cancellationToken);
                return IntakeResult.Problem(
                    StatusCodes.Status422UnprocessableEntity,
                    $"rule {match.Index} ({match.Rule}) gives an invalid spec for {Describe(@event)}",
                    new Dictionary<string, object?> { ["problems"] = rendered.Problems });
            }

            if (await NewestActedOnAsync(match, @event, cancellationToken) is { } newest && @event.At < newest)
            {
                stale.Add($"rule {match.Index} ({match.Rule}) already deployed an event of {newest:yyyy-MM-ddTHH:mm:ssZ}, newer than this one of {@event.At:yyyy-MM-ddTHH:mm:ssZ}");
                continue;
            }

            var id = DeterministicId.From(Webhook, @event.Identity, match.Index.ToString(System.Globalization.CultureInfo.InvariantCulture));
            effects.Publish(new DeploymentRequested(Guid.NewGuid(), id, now, specText, $"github:{@event.Repository}:{Describe(@event)}.json", GitHubOrigin.Format(@event, match.Index)));
            accepted.Add(new AcceptedDeployment(id, rendered.Spec.Name.Value, rendered.Spec.Image.ToString()));
        }

        if (accepted.Count == 0)
        {
            IntakeLog.NothingToDeploy(logger, Webhook, delivery.DeliveryId, "older than what its rules deployed");
            await WebhookEvents.RefusedAsync(store, now, Webhook, delivery.DeliveryId, null, $"this {@event.Kind} is older than what its rules deployed: {string.Join("; ", stale)}", cancellationToken);
            return IntakeResult.Problem(
                StatusCodes.Status409Conflict,
                $"this {@event.Kind} is older than what its rules deployed, so it deploys nothing: {string.Join("; ", stale)}. To go back, roll back explicitly (workers rollback NAME, POST /api/deployments/NAME/rollback, or a forced push)");
        }

        if (!await Deliveries.PublishOnceAsync(store, dispatcher, Events, @event.Identity, effects, now, cancellationToken))
        {
            IntakeLog.DuplicateDelivery(logger, Webhook, delivery.DeliveryId);
            return new IntakeResult(StatusCodes.Status200OK, new HookAnswer(delivery.DeliveryId, $"this {@event.Kind} ({@event.Names}) was acted on before; nothing was deployed again", []));
        }

        foreach (var deployment in accepted)
        {
            IntakeLog.DeploymentRequested(logger, deployment.DeploymentId, deployment.Name, deployment.Image, $"github:{@event.Repository}@{Describe(@event)}");
            await WebhookEvents.AcceptedAsync(store, now, Webhook, delivery.DeliveryId, deployment.Name, $"{@event.Kind} of {@event.Repository} {Describe(@event)} deploys {deployment.Image}", cancellationToken);
        }

        var message = $"{accepted.Count} deployment(s) requested" + (stale.Count == 0 ? string.Empty : $"; not by {string.Join("; ", stale)}");
        return new IntakeResult(
            StatusCodes.Status202Accepted,
            new HookAnswer(delivery.DeliveryId, message, accepted),
            accepted.Count == 1 ? DeploymentIntake.StatusLocation(accepted[0].Name) : null);
    }

    /// <summary>When the newest event this rule deployed happened, read from the deployment's revisions; null when it deployed none with a time.</summary>
    private async Task<DateTimeOffset?> NewestActedOnAsync(TriggerMatch match, GitHubEvent @event, CancellationToken cancellationToken)
    {
        if (@event.At is null)
        {
            return null;
        }

        var revisions = await store.GetRevisionsAsync(match.Template.Name, cancellationToken);
        return revisions.Select(r => GitHubOrigin.ActedAt(r.RequestedBy, @event.Repository, match.Index)).Max();
    }

    private static string Describe(GitHubEvent @event) => @event.Ref.Length > 0 ? @event.Ref : @event.Digest ?? @event.Names;

    private async Task<IntakeResult> NothingMatchedAsync(GitHubDelivery delivery, string reason, CancellationToken cancellationToken)
    {
        IntakeLog.NothingToDeploy(logger, Webhook, delivery.DeliveryId, reason);
        await WebhookEvents.RefusedAsync(store, time.GetUtcNow(), Webhook, delivery.DeliveryId!, null, $"nothing matched: {reason}", cancellationToken);
        return new IntakeResult(StatusCodes.Status202Accepted, new HookAnswer(delivery.DeliveryId, $"nothing matched: {reason}", []));
    }

    // The id comes from an unauthenticated sender: bounded before it reaches a log.
    internal static string? Shorten(string? value) => value is { Length: > 64 } ? value[..64] + "…" : value;
}
