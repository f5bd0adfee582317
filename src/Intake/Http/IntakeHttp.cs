using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Workers.Contracts.Spec;
using Workers.Functions.Handlers;
using Workers.Intake.Events;
using Workers.Intake.GitHub;
using Workers.Intake.Security;

namespace Workers.Intake.Http;

/// <summary>
/// The HTTP plumbing around the intake's logic: headers, content types, size limits and the raw body. Both hosts call
/// these with the ASP.NET Core <see cref="HttpRequest"/>: the minimal API of the functions host and the HTTP-triggered
/// Azure Functions. Nothing reads a body before the caller is known to be someone: the API's bearer token and the
/// webhooks' signature headers are checked first, and a request refused then is answered with <c>Connection: close</c>
/// and its body left unread. A webhook body is hashed as it streams, in one of the <see cref="UnverifiedBodies"/> slots.
/// </summary>
public static class IntakeHttp
{
    /// <summary>GitHub caps webhook payloads at 25 MB; a push with many commits is large.</summary>
    public const int MaxGitHubBytes = 25 * 1024 * 1024;

    /// <summary>A deploy event is small; a spec inside it is at most 1 MiB.</summary>
    public const int MaxEventBytes = SpecParser.MaxBytes + (64 * 1024);

    public static Task<IntakeHttpResult> PostDeploymentAsync(HttpRequest request, DeploymentIntake intake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(intake);
        return WithSpecAsync(request, intake, (body, format) => intake.SubmitAsync(body, format, cancellationToken), cancellationToken);
    }

    /// <summary><c>POST /api/validate</c>: the spec's problems as <c>POST /api/deployments</c> would answer them, nothing published.</summary>
    public static Task<IntakeHttpResult> ValidateAsync(HttpRequest request, DeploymentIntake intake, CancellationToken cancellationToken) =>
        WithSpecAsync(request, intake, (body, format) => Task.FromResult(DeploymentIntake.Validate(body, format)), cancellationToken);

    /// <summary><c>POST /api/plan</c>: a spec, as <see cref="PostDeploymentAsync"/> takes it, planned and not deployed.</summary>
    public static Task<IntakeHttpResult> PlanAsync(HttpRequest request, DeploymentIntake intake, PlanIntake planner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planner);
        return WithSpecAsync(request, intake, (body, format) => planner.PlanAsync(body, format, cancellationToken), cancellationToken);
    }

    public static async Task<IntakeHttpResult> GetDeploymentAsync(HttpRequest request, string name, DeploymentIntake intake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        return await AuthorizedAsync(request, intake, () => intake.StatusAsync(name, cancellationToken));
    }

    public static async Task<IntakeHttpResult> ListDeploymentsAsync(HttpRequest request, DeploymentIntake intake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        return await AuthorizedAsync(request, intake, () => intake.ListAsync(QueryOf(request), cancellationToken));
    }

    public static async Task<IntakeHttpResult> GetHostsAsync(HttpRequest request, DeploymentIntake intake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        return await AuthorizedAsync(request, intake, () => intake.HostsAsync(QueryOf(request), cancellationToken));
    }

    /// <summary><c>POST /api/hosts/{id}/forget</c> (unpin its agent keys) or <c>POST /api/hosts/{id}/revoke</c>.</summary>
    public static async Task<IntakeHttpResult> ForgetHostAsync(HttpRequest request, string hostId, bool revoke, DeploymentIntake intake, HostKeysIntake hostKeys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        ArgumentNullException.ThrowIfNull(hostKeys);
        return await AuthorizedAsync(request, intake, () => hostKeys.ForgetAsync(hostId, revoke, cancellationToken));
    }

    /// <summary><c>GET /api/events?name=&amp;after=&amp;since=&amp;limit=</c>: the event history, oldest first.</summary>
    public static async Task<IntakeHttpResult> GetEventsAsync(HttpRequest request, DeploymentIntake intake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        return await AuthorizedAsync(request, intake, () => intake.EventsAsync(QueryOf(request), cancellationToken));
    }

    /// <summary>
    /// <c>GET /api/deployments/{name}/logs?replica=&amp;tail=&amp;since=&amp;after=&amp;follow=</c>: one chunk as JSON; with
    /// <c>follow=true</c> a chunked <c>application/x-ndjson</c> response, one line per log line, that ends when the
    /// container stops or is removed, or the caller goes away.
    /// </summary>
    public static async Task<IResult> GetLogsAsync(HttpRequest request, string name, DeploymentIntake intake, LogsIntake logs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        ArgumentNullException.ThrowIfNull(logs);
        if (intake.Authorize(request.Headers.Authorization) is { } refused)
        {
            return Unread(request, refused);
        }

        var (asked, refusal) = logs.Parse(name, request.Query.ToDictionary(q => q.Key, q => (string?)q.Value.ToString(), StringComparer.Ordinal));
        if (asked is null)
        {
            return new IntakeHttpResult(refusal!);
        }

        var reply = await logs.ReadAsync(asked, asked.After, null, cancellationToken);
        if (!asked.Follow || reply.Problem is not null)
        {
            return new IntakeHttpResult(LogsIntake.Result(reply));
        }

        var response = request.HttpContext.Response;
        response.ContentType = "application/x-ndjson; charset=utf-8";
        while (true)
        {
            foreach (var line in reply.Lines)
            {
                await response.WriteAsync(System.Text.Json.JsonSerializer.Serialize(line, IntakeHttpResult.Json) + "\n", cancellationToken);
            }

            await response.Body.FlushAsync(cancellationToken);
            if (!reply.More && !reply.Running)
            {
                return Results.Empty;
            }

            if (!reply.More)
            {
                await Task.Delay(LogsIntake.FollowInterval, cancellationToken);
            }

            reply = await logs.ReadAsync(asked, reply.Cursor, reply.ContainerId, cancellationToken);
            if (reply.Problem is { } problem)
            {
                // Headers are gone: the end of the stream says why, unless the container was simply removed.
                if (problem != Contracts.Messages.LogsProblem.NotFound)
                {
                    await response.WriteAsync(System.Text.Json.JsonSerializer.Serialize(new { problem, error = reply.Error }, IntakeHttpResult.Json) + "\n", cancellationToken);
                }

                return Results.Empty;
            }
        }
    }

    public static async Task<IntakeHttpResult> DeleteDeploymentAsync(HttpRequest request, string name, DeploymentIntake intake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        return await AuthorizedAsync(request, intake, () => intake.DeleteAsync(name, cancellationToken));
    }

    public static async Task<IntakeHttpResult> GetHistoryAsync(HttpRequest request, string name, DeploymentIntake intake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        return await AuthorizedAsync(request, intake, () => intake.HistoryAsync(name, cancellationToken));
    }

    /// <summary><c>POST /api/deployments/{name}/rollback</c>, optionally <c>?to=REVISION</c>.</summary>
    public static async Task<IntakeHttpResult> RollbackAsync(HttpRequest request, string name, DeploymentIntake intake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        if (intake.Authorize(request.Headers.Authorization) is { } refused)
        {
            return Unread(request, refused);
        }

        var to = request.Query["to"].ToString();
        if (to.Length == 0)
        {
            return new(await intake.RollbackAsync(name, null, cancellationToken));
        }

        return long.TryParse(to, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var revision) && revision > 0
            ? new(await intake.RollbackAsync(name, revision, cancellationToken))
            : new(IntakeResult.Problem(StatusCodes.Status400BadRequest, $"'to' must be a revision number, got '{to}'"));
    }

    /// <summary>
    /// <c>PUT /api/secrets/{name}</c>: the body, as it is (any content type), is the value; the token is checked before
    /// any of it is read, and a body past 64 KiB is refused unread.
    /// </summary>
    public static async Task<IntakeHttpResult> PutSecretAsync(HttpRequest request, string name, DeploymentIntake intake, SecretsIntake secrets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        ArgumentNullException.ThrowIfNull(secrets);
        if (intake.Authorize(request.Headers.Authorization) is { } refused)
        {
            return Unread(request, refused);
        }

        byte[]? body;
        try
        {
            body = await ReadBodyAsync(request, SecretsHandler.MaxValueBytes, cancellationToken);
        }
        catch (BadHttpRequestException e)
        {
            return Unread(request, Unreadable(e));
        }

        if (body is null)
        {
            return Unread(request, TooLarge(SecretsHandler.MaxValueBytes));
        }

        try
        {
            return new(await secrets.SetAsync(name, body, cancellationToken));
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(body);
        }
    }

    /// <summary><c>GET /api/secrets</c>: names and dates, never a value.</summary>
    public static async Task<IntakeHttpResult> ListSecretsAsync(HttpRequest request, DeploymentIntake intake, SecretsIntake secrets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        ArgumentNullException.ThrowIfNull(secrets);
        return await AuthorizedAsync(request, intake, () => secrets.ListAsync(cancellationToken));
    }

    /// <summary><c>DELETE /api/secrets/{name}</c>.</summary>
    public static async Task<IntakeHttpResult> DeleteSecretAsync(HttpRequest request, string name, DeploymentIntake intake, SecretsIntake secrets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        ArgumentNullException.ThrowIfNull(secrets);
        return await AuthorizedAsync(request, intake, () => secrets.DeleteAsync(name, cancellationToken));
    }

    public static async Task<IntakeHttpResult> GitHubAsync(HttpRequest request, GitHubHookHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(handler);
        var headers = request.Headers;
        var delivery = new GitHubDelivery(headers["X-GitHub-Event"], headers["X-GitHub-Delivery"], headers["X-Hub-Signature-256"], ReadOnlyMemory<byte>.Empty);
        var check = handler.Start(delivery, out var signature);
        if (signature is null)
        {
            return Unread(request, handler.Refuse(delivery.DeliveryId, check));
        }

        using (signature)
        {
            var read = await ReadSignedBodyAsync(request, MaxGitHubBytes, signature, handler.Bodies, cancellationToken);
            if (read.Refusal is { } refusal)
            {
                return Unread(request, refusal);
            }

            return read.Check == SignatureCheck.Valid
                ? new(await handler.HandleVerifiedAsync(delivery with { Body = read.Body }, cancellationToken))
                : new(handler.Refuse(delivery.DeliveryId, read.Check));
        }
    }

    public static async Task<IntakeHttpResult> EventsAsync(HttpRequest request, EventsHookHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(handler);
        var headers = request.Headers;
        var delivery = new StandardWebhookDelivery(headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"], ReadOnlyMemory<byte>.Empty);
        var check = handler.Start(delivery, out var signature);
        if (signature is null)
        {
            return Unread(request, handler.Refuse(delivery.Id, check));
        }

        using (signature)
        {
            var read = await ReadSignedBodyAsync(request, MaxEventBytes, signature, handler.Bodies, cancellationToken);
            if (read.Refusal is { } refusal)
            {
                return Unread(request, refusal);
            }

            return read.Check == SignatureCheck.Valid
                ? new(await handler.HandleVerifiedAsync(delivery with { Body = read.Body }, cancellationToken))
                : new(handler.Refuse(delivery.Id, read.Check));
        }
    }

    /// <summary>The spec syntax a content type names, or null for one the intake does not take.</summary>
    public static SpecFormat? FormatOf(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media) ? media.MediaType.Value?.ToLowerInvariant() switch
        {
            "application/json" => SpecFormat.Json,
            "application/yaml" or "application/x-yaml" or "text/yaml" => SpecFormat.Yaml,
            _ => null,
        } : null;

    /// <summary>The body, or null when it is larger than <paramref name="limit"/> (it is not read past the limit).</summary>
    public static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > limit)
        {
            return null;
        }

        using var buffer = new MemoryStream((int)(request.ContentLength ?? 0));
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
    }

    /// <summary>
    /// Reads a webhook body through <paramref name="signature"/> in one of the unverified slots: 413 past
    /// <paramref name="limit"/>, 429 when no slot is free, 408 when it is slower than the timeout. The body is hashed as
    /// it arrives and spooled past 64 KiB to a temporary file (deleted at once), and comes back as an array only when
    /// the signature matched.
    /// </summary>
    private static async Task<(IntakeResult? Refusal, SignatureCheck Check, byte[] Body)> ReadSignedBodyAsync(HttpRequest request, int limit, IBodySignature signature, UnverifiedBodies bodies, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return (TooLarge(limit), SignatureCheck.Mismatch, []);
        }

        using var slot = bodies.TryEnter();
        if (slot is null)
        {
            request.HttpContext.Response.Headers.RetryAfter = "5";
            return (IntakeResult.Problem(StatusCodes.Status429TooManyRequests, "too many unverified webhook bodies are being read; send it again in a few seconds"), SignatureCheck.Mismatch, []);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(bodies.Timeout);
        await using var spool = new FileBufferingReadStream(request.Body, 64 * 1024, null, Path.GetTempPath);
        var chunk = new byte[16 * 1024];
        long total = 0;
        try
        {
            int read;
            while ((read = await spool.ReadAsync(chunk, deadline.Token)) > 0)
            {
                total += read;
                if (total > limit)
                {
                    return (TooLarge(limit), SignatureCheck.Mismatch, []);
                }

                signature.Append(chunk.AsSpan(0, read));
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (IntakeResult.Problem(StatusCodes.Status408RequestTimeout, $"the body did not arrive within {bodies.Timeout.TotalSeconds:0} s"), SignatureCheck.Mismatch, []);
        }
        catch (BadHttpRequestException e)
        {
            return (Unreadable(e), SignatureCheck.Mismatch, []);
        }

        var check = signature.Finish();
        if (check != SignatureCheck.Valid)
        {
            return (null, check, []);
        }

        var body = new byte[total];
        spool.Seek(0, SeekOrigin.Begin);
        await spool.ReadExactlyAsync(body, cancellationToken);
        return (null, check, body);
    }

    /// <summary>The query string's parameters, each as given (repeated ones joined with commas).</summary>
    internal static Dictionary<string, string?> QueryOf(HttpRequest request) =>
        request.Query.ToDictionary(q => q.Key, q => (string?)q.Value.ToString(), StringComparer.Ordinal);

    /// <summary>The token, then the content type, then a spec body of at most 1 MiB, handed to <paramref name="act"/>.</summary>
    private static async Task<IntakeHttpResult> WithSpecAsync(HttpRequest request, DeploymentIntake intake, Func<byte[], SpecFormat, Task<IntakeResult>> act, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (intake.Authorize(request.Headers.Authorization) is { } refused)
        {
            return Unread(request, refused);
        }

        if (FormatOf(request.ContentType) is not { } format)
        {
            return Unread(request, IntakeResult.Problem(StatusCodes.Status415UnsupportedMediaType, "send the spec as application/yaml, application/x-yaml, text/yaml or application/json"));
        }

        byte[]? body;
        try
        {
            body = await ReadBodyAsync(request, SpecParser.MaxBytes, cancellationToken);
        }
        catch (BadHttpRequestException e)
        {
            return Unread(request, Unreadable(e));
        }

        return body is null ? Unread(request, TooLarge(SpecParser.MaxBytes)) : new(await act(body, format));
    }

    /// <summary>The token first: a caller it refuses is answered without anything of the request's body read.</summary>
    private static async Task<IntakeHttpResult> AuthorizedAsync(HttpRequest request, DeploymentIntake intake, Func<Task<IntakeResult>> act) =>
        intake.Authorize(request.Headers.Authorization) is { } refused ? Unread(request, refused) : new(await act());

    /// <summary>
    /// An answer given without reading the body: the connection is closed after it, so that the server does not go on
    /// to read (drain) a body it refused.
    /// </summary>
    private static IntakeHttpResult Unread(HttpRequest request, IntakeResult result)
    {
        if (request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? request.ContentLength > 0)
        {
            request.HttpContext.Response.Headers.Connection = "close";
        }

        return new(result);
    }

    private static IntakeResult Unreadable(BadHttpRequestException e) =>
        IntakeResult.Problem(e.StatusCode, $"the body could not be read: {e.Message}");

    private static IntakeResult TooLarge(int limit) =>
        IntakeResult.Problem(StatusCodes.Status413PayloadTooLarge, $"the body is larger than {limit:N0} bytes");
}
