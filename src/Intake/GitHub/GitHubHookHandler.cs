using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Workers.Contracts.Messages;
using Workers.Functions.Handlers;
using Workers.Functions.Store;
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
/// <c>registry_package</c> events through the trigger rules and publishes one deployment request per matching rule,
/// once per delivery id (recorded in the store).
/// </summary>
public sealed class GitHubHookHandler(IOptions<IntakeOptions> options, TriggerRules rules, IDeploymentStore store, IEffectsDispatcher dispatcher, TimeProvider time, ILogger<GitHubHookHandler> logger)
{
    private const string Webhook = "github";

    private readonly byte[] _secret = Encoding.UTF8.GetBytes(options.Value.GitHubSecret ?? string.Empty);

    public async Task<IntakeResult> HandleAsync(GitHubDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var check = GitHubSignature.Verify(_secret, delivery.Signature, delivery.Body.Span);
        if (check != SignatureCheck.Valid)
        {
            IntakeLog.WebhookRefused(logger, Webhook, Shorten(delivery.DeliveryId), check);
            return IntakeResult.Problem(StatusCodes.Status401Unauthorized, "the X-Hub-Signature-256 signature is missing or does not match the body");
        }

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
            return NothingMatched(delivery, reason);
        }

        var matches = rules.Match(@event);
        if (matches.Count == 0)
        {
            return NothingMatched(delivery, $"no trigger rule matches {@event.Kind} of {@event.Repository} {@event.Ref}");
        }

        var effects = new Effects();
        var accepted = new List<AcceptedDeployment>();
        var now = time.GetUtcNow();
        foreach (var match in matches)
        {
            var rendered = match.Template.Render(match.Image, out var specText);
            if (!rendered.IsValid)
            {
                IntakeLog.InvalidRendering(logger, Webhook, delivery.DeliveryId, string.Join("; ", rendered.Problems.Select(p => p.Message)));
                return IntakeResult.Problem(
                    StatusCodes.Status422UnprocessableEntity,
                    $"rule {match.Index} ({match.Rule}) gives an invalid spec for {@event.Ref}",
                    new Dictionary<string, object?> { ["problems"] = rendered.Problems });
            }

            var id = DeterministicId.From(Webhook, delivery.DeliveryId, match.Index.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var requestedBy = $"github:{@event.Repository}@{@event.Ref}";
            effects.Publish(new DeploymentRequested(Guid.NewGuid(), id, now, specText, $"github:{@event.Repository}:{@event.Ref}.json", requestedBy));
            accepted.Add(new AcceptedDeployment(id, rendered.Spec.Name.Value, rendered.Spec.Image.ToString()));
        }

        if (!await Deliveries.PublishOnceAsync(store, dispatcher, Webhook, delivery.DeliveryId, effects, now, cancellationToken))
        {
            IntakeLog.DuplicateDelivery(logger, Webhook, delivery.DeliveryId);
            return new IntakeResult(StatusCodes.Status200OK, new HookAnswer(delivery.DeliveryId, "this delivery was acted on before; nothing was deployed again", []));
        }

        foreach (var deployment in accepted)
        {
            IntakeLog.DeploymentRequested(logger, deployment.DeploymentId, deployment.Name, deployment.Image, $"github:{@event.Repository}@{@event.Ref}");
        }

        return new IntakeResult(
            StatusCodes.Status202Accepted,
            new HookAnswer(delivery.DeliveryId, $"{accepted.Count} deployment(s) requested", accepted),
            accepted.Count == 1 ? DeploymentIntake.StatusLocation(accepted[0].Name) : null);
    }

    private IntakeResult NothingMatched(GitHubDelivery delivery, string reason)
    {
        IntakeLog.NothingToDeploy(logger, Webhook, delivery.DeliveryId, reason);
        return new IntakeResult(StatusCodes.Status202Accepted, new HookAnswer(delivery.DeliveryId, $"nothing matched: {reason}", []));
    }

    // The id comes from an unauthenticated sender: bounded before it reaches a log.
    internal static string? Shorten(string? value) => value is { Length: > 64 } ? value[..64] + "…" : value;
}
