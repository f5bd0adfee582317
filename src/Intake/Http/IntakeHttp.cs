using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Workers.Contracts.Spec;
using Workers.Intake.Events;
using Workers.Intake.GitHub;

namespace Workers.Intake.Http;

/// <summary>
/// The HTTP plumbing around the intake's logic: headers, content types, size limits and the raw body. Both hosts call
/// these with the ASP.NET Core <see cref="HttpRequest"/>: the minimal API of the functions host and the HTTP-triggered
/// Azure Functions.
/// </summary>
public static class IntakeHttp
{
    /// <summary>GitHub caps webhook payloads at 25 MB; a push with many commits is large.</summary>
    public const int MaxGitHubBytes = 25 * 1024 * 1024;

    /// <summary>A deploy event is small; a spec inside it is at most 1 MiB.</summary>
    public const int MaxEventBytes = SpecParser.MaxBytes + (64 * 1024);

    public static async Task<IntakeHttpResult> PostDeploymentAsync(HttpRequest request, DeploymentIntake intake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        if (intake.Authorize(request.Headers.Authorization) is { } refused)
        {
            return new(refused);
        }

        if (FormatOf(request.ContentType) is not { } format)
        {
            return new(IntakeResult.Problem(StatusCodes.Status415UnsupportedMediaType, "send the spec as application/yaml, application/x-yaml, text/yaml or application/json"));
        }

        if (await ReadBodyAsync(request, SpecParser.MaxBytes, cancellationToken) is not { } body)
        {
            return TooLarge(SpecParser.MaxBytes);
        }

        return new(await intake.SubmitAsync(body, format, cancellationToken));
    }

    public static async Task<IntakeHttpResult> GetDeploymentAsync(HttpRequest request, string name, DeploymentIntake intake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        return new(intake.Authorize(request.Headers.Authorization) ?? await intake.StatusAsync(name, cancellationToken));
    }

    public static async Task<IntakeHttpResult> ListDeploymentsAsync(HttpRequest request, DeploymentIntake intake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        return new(intake.Authorize(request.Headers.Authorization) ?? await intake.ListAsync(cancellationToken));
    }

    public static async Task<IntakeHttpResult> GetHostsAsync(HttpRequest request, DeploymentIntake intake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        return new(intake.Authorize(request.Headers.Authorization) ?? await intake.HostsAsync(cancellationToken));
    }

    public static async Task<IntakeHttpResult> DeleteDeploymentAsync(HttpRequest request, string name, DeploymentIntake intake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        return new(intake.Authorize(request.Headers.Authorization) ?? await intake.DeleteAsync(name, cancellationToken));
    }

    public static async Task<IntakeHttpResult> GetHistoryAsync(HttpRequest request, string name, DeploymentIntake intake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        return new(intake.Authorize(request.Headers.Authorization) ?? await intake.HistoryAsync(name, cancellationToken));
    }

    /// <summary><c>POST /api/deployments/{name}/rollback</c>, optionally <c>?to=REVISION</c>.</summary>
    public static async Task<IntakeHttpResult> RollbackAsync(HttpRequest request, string name, DeploymentIntake intake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        if (intake.Authorize(request.Headers.Authorization) is { } refused)
        {
            return new(refused);
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

    public static async Task<IntakeHttpResult> GitHubAsync(HttpRequest request, GitHubHookHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(handler);
        if (await ReadBodyAsync(request, MaxGitHubBytes, cancellationToken) is not { } body)
        {
            return TooLarge(MaxGitHubBytes);
        }

        var headers = request.Headers;
        return new(await handler.HandleAsync(new GitHubDelivery(headers["X-GitHub-Event"], headers["X-GitHub-Delivery"], headers["X-Hub-Signature-256"], body), cancellationToken));
    }

    public static async Task<IntakeHttpResult> EventsAsync(HttpRequest request, EventsHookHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(handler);
        if (await ReadBodyAsync(request, MaxEventBytes, cancellationToken) is not { } body)
        {
            return TooLarge(MaxEventBytes);
        }

        var headers = request.Headers;
        return new(await handler.HandleAsync(new StandardWebhookDelivery(headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"], body), cancellationToken));
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

        using var buffer = new MemoryStream();
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

        return buffer.ToArray();
    }

    private static IntakeHttpResult TooLarge(int limit) =>
        new(IntakeResult.Problem(StatusCodes.Status413PayloadTooLarge, $"the body is larger than {limit:N0} bytes"));
}
