using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Handlers;
using Workers.Functions.Store;
using Workers.Intake.GitHub;
using Workers.Intake.Http;
using Workers.Intake.Security;
using Workers.Intake.Triggers;

namespace Workers.Intake.Events;

/// <summary>One Standard Webhooks delivery as received.</summary>
/// <param name="Id"><c>webhook-id</c>.</param>
/// <param name="Timestamp"><c>webhook-timestamp</c> (Unix seconds).</param>
/// <param name="Signature"><c>webhook-signature</c>.</param>
/// <param name="Body">The raw body, exactly as signed.</param>
public sealed record StandardWebhookDelivery(string? Id, string? Timestamp, string? Signature, ReadOnlyMemory<byte> Body);

/// <summary>
/// The body of a deploy event: <c>{"type": "deployment.requested", "timestamp": "…", "data": {"name": "web",
/// "image": "ghcr.io/acme/web:1.4.2"}}</c>. Without <c>data.spec</c>, the deployment's current spec is redeployed
/// with the new image; with it (YAML or JSON text), that spec is deployed, its image replaced by <c>data.image</c>.
/// </summary>
/// <param name="Type">Must be <see cref="EventsHookHandler.DeployType"/>.</param>
/// <param name="Data">What to deploy.</param>
public sealed record DeployEvent(string? Type, DeployEventData? Data);

/// <summary>What a deploy event asks for.</summary>
/// <param name="Name">The deployment's name.</param>
/// <param name="Image">The image to run.</param>
/// <param name="Spec">A whole spec, for a deployment that does not exist yet; optional.</param>
public sealed record DeployEventData(string? Name, string? Image, string? Spec);

/// <summary>
/// <c>POST /api/hooks/events</c>: verifies a Standard Webhooks signature and publishes the deployment the event asks
/// for, once per <c>webhook-id</c> (recorded in the store).
/// </summary>
public sealed class EventsHookHandler(IOptions<IntakeOptions> options, IDeploymentStore store, IEffectsDispatcher dispatcher, UnverifiedBodies bodies, TimeProvider time, ILogger<EventsHookHandler> logger)
{
    /// <summary>The only event type this endpoint acts on.</summary>
    public const string DeployType = "deployment.requested";

    private const string Webhook = "events";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly IReadOnlyList<byte[]> _keys = StandardWebhook.TryParseSecrets(options.Value.WebhookSecret, out var keys, out _) ? keys : [];

    /// <summary>The slots that bodies are read in before their signature is known.</summary>
    public UnverifiedBodies Bodies => bodies;

    /// <summary>Checks the three headers before the body is read; a check to stream the body through when they are good.</summary>
    public SignatureCheck Start(StandardWebhookDelivery delivery, out IBodySignature? signature)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return StandardWebhook.Start(_keys, delivery.Id, delivery.Timestamp, delivery.Signature, time.GetUtcNow(), out signature);
    }

    /// <summary>The 401 for a delivery whose signature is not good, logged with the reason.</summary>
    public IntakeResult Refuse(string? id, SignatureCheck check)
    {
        IntakeLog.WebhookRefused(logger, Webhook, GitHubHookHandler.Shorten(id), check);
        return IntakeResult.Problem(StatusCodes.Status401Unauthorized, "the webhook-signature is missing, does not match, or webhook-timestamp is more than 5 minutes from now");
    }

    /// <summary>Verifies the signature over the whole body, then acts on the delivery.</summary>
    public async Task<IntakeResult> HandleAsync(StandardWebhookDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var check = StandardWebhook.Verify(_keys, delivery.Id, delivery.Timestamp, delivery.Signature, delivery.Body.Span, time.GetUtcNow());
        return check == SignatureCheck.Valid ? await HandleVerifiedAsync(delivery, cancellationToken) : Refuse(delivery.Id, check);
    }

    /// <summary>Acts on a delivery whose signature was found good.</summary>
    public async Task<IntakeResult> HandleVerifiedAsync(StandardWebhookDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var now = time.GetUtcNow();
        DeployEvent? body;
        try
        {
            body = JsonSerializer.Deserialize<DeployEvent>(delivery.Body.Span, Json);
        }
        catch (JsonException)
        {
            body = null;
        }

        if (body?.Type != DeployType || body.Data is not { Name: { Length: > 0 } name, Image: { Length: > 0 } image } data)
        {
            return await RefusedAsync(delivery, null, IntakeResult.Problem(StatusCodes.Status422UnprocessableEntity, $"the body must be {{\"type\": \"{DeployType}\", \"data\": {{\"name\": NAME, \"image\": IMAGE}}}}"), cancellationToken);
        }

        var template = await TemplateAsync(name, data.Spec, cancellationToken);
        if (template.Problem is { } problem)
        {
            return await RefusedAsync(delivery, name, problem, cancellationToken);
        }

        var rendered = template.Template!.Render(image, out var specText);
        if (!rendered.IsValid)
        {
            return await RefusedAsync(delivery, name, IntakeResult.Problem(StatusCodes.Status422UnprocessableEntity, $"deploying '{name}' with image '{image}' gives an invalid spec: {string.Join("; ", rendered.Problems.Select(p => p.Message))}", new Dictionary<string, object?> { ["problems"] = rendered.Problems }), cancellationToken);
        }

        var id = DeterministicId.From(Webhook, delivery.Id!);
        var requestedBy = $"webhook:{GitHubHookHandler.Shorten(delivery.Id)}";
        var effects = new Effects().Publish(new DeploymentRequested(Guid.NewGuid(), id, now, specText, $"{Webhook}:{name}.json", requestedBy));
        if (!await Deliveries.PublishOnceAsync(store, dispatcher, Webhook, delivery.Id!, effects, now, cancellationToken))
        {
            IntakeLog.DuplicateDelivery(logger, Webhook, delivery.Id!);
            return new IntakeResult(StatusCodes.Status200OK, new HookAnswer(delivery.Id, "this delivery was acted on before; nothing was deployed again", []));
        }

        IntakeLog.DeploymentRequested(logger, id, name, image, requestedBy);
        await WebhookEvents.AcceptedAsync(store, now, Webhook, delivery.Id!, rendered.Spec.Name.Value, $"deploys {rendered.Spec.Image}", cancellationToken);
        var accepted = new AcceptedDeployment(id, rendered.Spec.Name.Value, rendered.Spec.Image.ToString());
        return new IntakeResult(StatusCodes.Status202Accepted, new HookAnswer(delivery.Id, "1 deployment requested", [accepted]), DeploymentIntake.StatusLocation(accepted.Name));
    }

    /// <summary>The refusal, recorded as a <c>webhook.refused</c> event with its reason (the problem's detail).</summary>
    private async Task<IntakeResult> RefusedAsync(StandardWebhookDelivery delivery, string? name, IntakeResult refusal, CancellationToken cancellationToken)
    {
        var reason = refusal.Body is Microsoft.AspNetCore.Mvc.ProblemDetails { Detail: { } detail } ? detail : $"refused with {refusal.Status}";
        await WebhookEvents.RefusedAsync(store, time.GetUtcNow(), Webhook, delivery.Id!, name, reason, cancellationToken);
        return refusal;
    }

    private async Task<(SpecTemplate? Template, IntakeResult? Problem)> TemplateAsync(string name, string? spec, CancellationToken cancellationToken)
    {
        if (spec is not null)
        {
            var given = SpecTemplate.Load(spec, "data.spec", out var problems);
            if (given is null)
            {
                return (null, IntakeResult.Problem(StatusCodes.Status422UnprocessableEntity, "data.spec is not a valid spec", new Dictionary<string, object?> { ["problems"] = problems }));
            }

            return given.Name == name
                ? (given, null)
                : (null, IntakeResult.Problem(StatusCodes.Status422UnprocessableEntity, $"data.name '{name}' differs from the spec's name '{given.Name}'"));
        }

        var current = await store.GetCurrentRevisionsAsync(name, cancellationToken);
        if (current is not [{ Spec: { } running }, ..])
        {
            return (null, IntakeResult.Problem(StatusCodes.Status422UnprocessableEntity, $"there is no deployment named '{name}' to give a new image; send data.spec to create it"));
        }

        return (SpecTemplate.Load(SpecWriter.ToJson(running), $"{name}.json", out _), null);
    }
}
