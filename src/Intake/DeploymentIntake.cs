using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Handlers;
using Workers.Intake.Security;

namespace Workers.Intake;

/// <summary>
/// The HTTP API's logic, free of HTTP: checks the token, validates a spec exactly as <c>workers validate</c> does,
/// publishes the request and answers at once; status and hosts come from <see cref="QueryHandler"/>, like the CLI's.
/// </summary>
public sealed class DeploymentIntake(ApiTokens tokens, IEffectsDispatcher dispatcher, QueryHandler queries, TimeProvider time, ILogger<DeploymentIntake> logger)
{
    private const string RequestedBy = "api";

    /// <summary>Null when the <c>Authorization</c> header carries a configured token; else the 401 or 403 to answer.</summary>
    public IntakeResult? Authorize(string? authorization)
    {
        var check = tokens.Check(authorization);
        if (check == TokenCheck.Valid)
        {
            return null;
        }

        IntakeLog.TokenRefused(logger, check);
        return check == TokenCheck.Missing
            ? IntakeResult.Problem(StatusCodes.Status401Unauthorized, "send 'Authorization: Bearer <token>' with one of the configured API tokens")
            : IntakeResult.Problem(StatusCodes.Status403Forbidden, "the bearer token is not one of the configured API tokens");
    }

    /// <summary>Validates and publishes a spec: 422 with every problem, or 202 with the deployment id.</summary>
    public async Task<IntakeResult> SubmitAsync(ReadOnlyMemory<byte> body, SpecFormat format, CancellationToken cancellationToken)
    {
        // The file name carries the format, so the Validate function reads the text the same way.
        var file = FileOf(format);
        var parsed = SpecParser.Parse(body.Span, file, format);
        if (!parsed.IsValid)
        {
            return Unprocessable(parsed);
        }

        var id = Guid.NewGuid();
        var name = parsed.Spec.Name.Value;
        var request = new DeploymentRequested(Guid.NewGuid(), id, time.GetUtcNow(), Encoding.UTF8.GetString(body.Span), file, RequestedBy);
        if (await PublishAsync(request, name, cancellationToken) is { } unavailable)
        {
            return unavailable;
        }

        IntakeLog.DeploymentRequested(logger, id, name, parsed.Spec.Image.ToString(), RequestedBy);
        return new IntakeResult(StatusCodes.Status202Accepted, new AcceptedDeployment(id, name, parsed.Spec.Image.ToString()), StatusLocation(name));
    }

    /// <summary>
    /// Validates a spec as <see cref="SubmitAsync"/> does and publishes nothing: 422 with the same problems, or 200 with
    /// the deployment's name, image and an empty problem list.
    /// </summary>
    public static IntakeResult Validate(ReadOnlyMemory<byte> body, SpecFormat format)
    {
        var parsed = SpecParser.Parse(body.Span, FileOf(format), format);
        return parsed.IsValid
            ? new IntakeResult(StatusCodes.Status200OK, new ValidSpec(parsed.Spec.Name.Value, parsed.Spec.Image.ToString(), []))
            : Unprocessable(parsed);
    }

    /// <summary>The current revision of a deployment, as <c>workers status NAME</c> shows it; 404 for an unknown name.</summary>
    public async Task<IntakeResult> StatusAsync(string name, CancellationToken cancellationToken)
    {
        var reply = await queries.HandleAsync(new GetDeploymentStatus(Guid.NewGuid(), Guid.NewGuid(), time.GetUtcNow(), name, null), cancellationToken);
        return reply.Deployments is [var status, ..]
            ? new IntakeResult(StatusCodes.Status200OK, status)
            : IntakeResult.Problem(StatusCodes.Status404NotFound, $"there is no deployment named '{name}'");
    }

    /// <summary>A deployment's revisions, newest first, as <c>workers history NAME --format json</c> lists them; 404 for an unknown name.</summary>
    public async Task<IntakeResult> HistoryAsync(string name, CancellationToken cancellationToken)
    {
        var reply = await queries.HandleAsync(new GetDeploymentHistory(Guid.NewGuid(), Guid.NewGuid(), time.GetUtcNow(), name), cancellationToken);
        return reply.Revisions.Count == 0
            ? IntakeResult.Problem(StatusCodes.Status404NotFound, $"there is no deployment named '{name}'")
            : new IntakeResult(StatusCodes.Status200OK, reply.Revisions.Select(r => new { r.Revision, r.DeploymentId, r.State, r.Image, r.Reason, r.RequestedBy, r.UpdatedAt, Current = r.Revision == reply.Current }).ToList());
    }

    /// <summary>
    /// Deploys an earlier revision's spec again (<paramref name="to"/>, or the newest earlier one that ran healthy) as a
    /// new revision: 202 with the new deployment id, 404 for an unknown name, 409 when there is nothing to roll back to.
    /// </summary>
    public async Task<IntakeResult> RollbackAsync(string name, long? to, CancellationToken cancellationToken)
    {
        var history = await queries.HandleAsync(new GetDeploymentHistory(Guid.NewGuid(), Guid.NewGuid(), time.GetUtcNow(), name), cancellationToken);
        var (target, error) = QueryHandler.RollbackTarget(history, to);
        if (target is null)
        {
            return IntakeResult.Problem(history.Revisions.Count == 0 ? StatusCodes.Status404NotFound : StatusCodes.Status409Conflict, error!);
        }

        var id = Guid.NewGuid();
        var request = new DeploymentRequested(Guid.NewGuid(), id, time.GetUtcNow(), SpecWriter.ToJson(target.Spec), $"{name}@{target.Revision}.json", RequestedBy);
        if (await PublishAsync(request, name, cancellationToken) is { } unavailable)
        {
            return unavailable;
        }

        IntakeLog.DeploymentRequested(logger, id, name, target.Image, RequestedBy);
        return new IntakeResult(StatusCodes.Status202Accepted, new AcceptedRollback(id, name, target.Image, target.Revision), StatusLocation(name));
    }

    /// <summary>Every deployment's current revision, as <c>workers status</c> shows them.</summary>
    public Task<IntakeResult> ListAsync(CancellationToken cancellationToken) =>
        ListAsync(new Dictionary<string, string?>(), cancellationToken);

    /// <summary>
    /// The deployments by name, as <c>workers status</c> shows them, a page at a time when asked: <c>offset</c> and
    /// <c>limit</c> (see <see cref="PageQuery"/>), and <c>host</c> to keep only the replicas on that host (and the
    /// deployments with any there); <c>deploymentId</c> answers that one revision whatever its state (none when
    /// unknown), which is how <c>workers deploy --wait</c> follows a deployment over HTTP. Any other parameter, or a
    /// value that does not parse, is refused.
    /// </summary>
    public async Task<IntakeResult> ListAsync(IReadOnlyDictionary<string, string?> query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var page = PageQuery.Parse(query, "/api/deployments", ["host", "deploymentId"], out var problems);
        string? host = null;
        if (query.TryGetValue("host", out var hostId))
        {
            if (string.IsNullOrWhiteSpace(hostId))
            {
                problems.Add("host: expected a host id, got nothing");
            }

            host = hostId;
        }

        Guid? deploymentId = null;
        if (query.TryGetValue("deploymentId", out var idText))
        {
            if (Guid.TryParse(idText, out var id))
            {
                deploymentId = id;
            }
            else
            {
                problems.Add($"deploymentId: '{idText}' is not a deployment id (a GUID)");
            }
        }

        if (problems.Count > 0)
        {
            return IntakeResult.Problem(StatusCodes.Status400BadRequest, string.Join("; ", problems));
        }

        if (page.Paged && host is null && deploymentId is null)
        {
            // The dashboard's case: only the page's deployments are read.
            var (deploymentPage, total) = await queries.StatusPageAsync(page.Offset, page.Take, cancellationToken);
            return page.Answer(deploymentPage, total);
        }

        var reply = await queries.HandleAsync(new GetDeploymentStatus(Guid.NewGuid(), deploymentId ?? Guid.NewGuid(), time.GetUtcNow(), null, deploymentId), cancellationToken);
        var deployments = host is null
            ? reply.Deployments
            : [.. reply.Deployments.Select(d => d with { Replicas = [.. d.Replicas.Where(r => r.HostId == host)] }).Where(d => d.Replicas.Count > 0)];
        return page.Answer([.. deployments.OrderBy(d => d.Name, StringComparer.Ordinal)]);
    }

    /// <summary>The response header of <c>GET /api/hosts</c> that carries the functions' build (<c>workers version</c>).</summary>
    public const string FunctionsVersionHeader = "Workers-Functions-Version";

    /// <summary>The hosts from their last heartbeats, as <c>workers hosts</c> shows them.</summary>
    public Task<IntakeResult> HostsAsync(CancellationToken cancellationToken) =>
        HostsAsync(new Dictionary<string, string?>(), cancellationToken);

    /// <summary>The hosts by id, a page at a time when asked (<c>offset</c>, <c>limit</c>; see <see cref="PageQuery"/>).</summary>
    public async Task<IntakeResult> HostsAsync(IReadOnlyDictionary<string, string?> query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var page = PageQuery.Parse(query, "/api/hosts", [], out var problems);
        if (problems.Count > 0)
        {
            return IntakeResult.Problem(StatusCodes.Status400BadRequest, string.Join("; ", problems));
        }

        var reply = await queries.HandleAsync(new GetHosts(Guid.NewGuid(), Guid.NewGuid(), time.GetUtcNow()), cancellationToken);
        var answer = page.Answer([.. reply.Hosts.OrderBy(h => h.HostId, StringComparer.Ordinal)]);
        return reply.FunctionsVersion is { } version
            ? answer with { Headers = new Dictionary<string, string>(answer.Headers ?? new Dictionary<string, string>()) { [FunctionsVersionHeader] = version } }
            : answer;
    }

    /// <summary>
    /// The event history, oldest first, as <c>workers events</c> shows it: <c>name</c>, <c>after</c> (a sequence, to
    /// follow on), <c>since</c> (a duration back from now, <c>10m</c>, or an RFC 3339 moment) and <c>limit</c> (1 to
    /// 1000, 100 by default). Any other parameter, or a value that does not parse, is refused with every problem at once.
    /// </summary>
    public async Task<IntakeResult> EventsAsync(IReadOnlyDictionary<string, string?> query, CancellationToken cancellationToken)
    {
        if (ParseEvents(query, "/api/events", out var refused) is not { } events)
        {
            return refused!;
        }

        return new IntakeResult(StatusCodes.Status200OK, await ReadEventsAsync(events, cancellationToken));
    }

    /// <summary>The events <paramref name="query"/> asks for, the newest <see cref="GetEvents.Limit"/> of them, oldest first.</summary>
    public async Task<IReadOnlyList<WorkersEvent>> ReadEventsAsync(GetEvents query, CancellationToken cancellationToken) =>
        (await queries.HandleAsync(query, cancellationToken)).Events;

    /// <summary>
    /// The event query's parameters (<c>name</c>, <c>after</c>, <c>since</c>, <c>limit</c>) as a <see cref="GetEvents"/>,
    /// or null with the 400 naming every problem in <paramref name="refused"/>.
    /// </summary>
    public GetEvents? ParseEvents(IReadOnlyDictionary<string, string?> query, string path, out IntakeResult? refused)
    {
        ArgumentNullException.ThrowIfNull(query);
        refused = null;
        var problems = new List<string>();
        string? name = null;
        long? after = null;
        DateTimeOffset? since = null;
        var limit = 100;
        foreach (var (key, value) in query)
        {
            switch (key)
            {
                case "name" when DnsLabel.TryParse(value, out var label, out _):
                    name = label.Value;
                    break;
                case "name":
                    DnsLabel.TryParse(value, out _, out var notAName);
                    problems.Add($"name: {notAName}");
                    break;
                case "after" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence):
                    after = sequence;
                    break;
                case "since" when SinceParameter.TryParse(value, time.GetUtcNow(), out var moment):
                    since = moment;
                    break;
                case "limit" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count is >= 1 and <= 1000:
                    limit = count;
                    break;
                case "after":
                    problems.Add($"after: '{value}' is not an event sequence (a whole number, from an event's \"sequence\")");
                    break;
                case "since":
                    problems.Add(SinceParameter.Problem(value));
                    break;
                case "limit":
                    problems.Add($"limit: '{value}' is not a whole number from 1 to 1000");
                    break;
                default:
                    problems.Add($"'{key}' is not a parameter of {path} (name, after, since, limit)");
                    break;
            }
        }

        if (problems.Count > 0)
        {
            refused = IntakeResult.Problem(StatusCodes.Status400BadRequest, string.Join("; ", problems));
            return null;
        }

        return new GetEvents(Guid.NewGuid(), Guid.NewGuid(), time.GetUtcNow(), name, after, since, limit);
    }

    /// <summary>Publishes a delete of a known deployment: 202, or 404 for an unknown name.</summary>
    public async Task<IntakeResult> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var reply = await queries.HandleAsync(new GetDeploymentStatus(Guid.NewGuid(), Guid.NewGuid(), time.GetUtcNow(), name, null), cancellationToken);
        if (reply.Deployments.Count == 0)
        {
            return IntakeResult.Problem(StatusCodes.Status404NotFound, $"there is no deployment named '{name}'");
        }

        var id = Guid.NewGuid();
        if (await PublishAsync(new DeleteDeployment(Guid.NewGuid(), id, time.GetUtcNow(), name, RequestedBy), name, cancellationToken) is { } unavailable)
        {
            return unavailable;
        }

        IntakeLog.DeletionRequested(logger, id, name, RequestedBy);
        return new IntakeResult(StatusCodes.Status202Accepted, new AcceptedDeletion(id, name), StatusLocation(name));
    }

    /// <summary>
    /// Publishes; null when the broker took it, else the 503 to answer (the broker down or restarting, or its confirm
    /// not in time). The caller is told the request may still arrive, so that a retry looks at the status first.
    /// </summary>
    private async Task<IntakeResult?> PublishAsync(object message, string name, CancellationToken cancellationToken)
    {
        try
        {
            await dispatcher.DispatchAsync(new Effects().Publish(message), cancellationToken);
            return null;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OutOfMemoryException)
        {
            IntakeLog.PublishFailed(logger, e, message.GetType().Name, name);
            return IntakeResult.Problem(
                StatusCodes.Status503ServiceUnavailable,
                $"the message broker did not take the request ({e.Message}); it may still arrive: check {StatusLocation(name)} before sending it again");
        }
    }

    private static string FileOf(SpecFormat format) => format == SpecFormat.Json ? "request.json" : "request.yaml";

    private static IntakeResult Unprocessable(SpecParseResult parsed) =>
        IntakeResult.Problem(StatusCodes.Status422UnprocessableEntity, $"the spec has {parsed.Problems.Count} problem(s)", new Dictionary<string, object?> { ["problems"] = parsed.Problems });

    internal static string StatusLocation(string name) => $"/api/deployments/{Uri.EscapeDataString(name)}";
}
