using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Workers.Contracts.Messages;

namespace Workers.Cli;

/// <summary>
/// What the CLI asks of the functions, over a Workers server's HTTP API (<c>docs/http-api.md</c>) with a bearer token.
/// Every failure to get an answer is one <see cref="CliFailure"/> line: the server down, a token refused (named as
/// such), the broker behind it down; never the token itself.
/// </summary>
internal sealed class HttpWorkersClient : IWorkersClient, IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>The statuses <c>/api/deployments/{name}/logs</c> answers a <see cref="LogsProblem"/> with.</summary>
    private static readonly Dictionary<HttpStatusCode, LogsProblem> LogsProblems = new()
    {
        [HttpStatusCode.NotFound] = LogsProblem.NotFound,
        [HttpStatusCode.BadRequest] = LogsProblem.Invalid,
        [HttpStatusCode.GatewayTimeout] = LogsProblem.HostUnavailable,
        [HttpStatusCode.NotImplemented] = LogsProblem.NotServed,
        [HttpStatusCode.BadGateway] = LogsProblem.Unreadable,
    };

    private readonly HttpClient _http;
    private readonly Uri _server;
    private readonly TimeSpan _connectLimit;

    public HttpWorkersClient(Uri server, string? token, TimeSpan connectLimit, TimeSpan requestTimeout)
    {
        _server = server;
        _connectLimit = connectLimit;
        _http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = connectLimit, UseProxy = false }) { BaseAddress = server, Timeout = requestTimeout };
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public async Task<Guid> DeployAsync(string specText, string source, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, "api/deployments", SpecContent(specText, source), cancellationToken);
        return (await ReadAsync<Accepted>(response, cancellationToken)).DeploymentId;
    }

    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        // An unknown name is already deleted: over the bus that is no error either.
        using var response = await SendAsync(HttpMethod.Delete, $"api/deployments/{Uri.EscapeDataString(name)}", null, cancellationToken, HttpStatusCode.NotFound);
    }

    public async Task<DeploymentStatusReply> StatusAsync(string? name, Guid? deploymentId, CancellationToken cancellationToken)
    {
        IReadOnlyList<DeploymentStatus> deployments;
        if (deploymentId is { } id)
        {
            using var response = await SendAsync(HttpMethod.Get, $"api/deployments?deploymentId={id}", null, cancellationToken);
            deployments = await ReadAsync<List<DeploymentStatus>>(response, cancellationToken);
        }
        else if (name is not null)
        {
            using var response = await SendAsync(HttpMethod.Get, $"api/deployments/{Uri.EscapeDataString(name)}", null, cancellationToken, HttpStatusCode.NotFound);
            deployments = response.StatusCode == HttpStatusCode.NotFound ? [] : [await ReadAsync<DeploymentStatus>(response, cancellationToken)];
        }
        else
        {
            using var response = await SendAsync(HttpMethod.Get, "api/deployments", null, cancellationToken);
            deployments = await ReadAsync<List<DeploymentStatus>>(response, cancellationToken);
        }

        return new DeploymentStatusReply(Guid.NewGuid(), deploymentId ?? Guid.NewGuid(), DateTimeOffset.UtcNow, deployments);
    }

    public async Task<HostKeysReply> ForgetHostAsync(string hostId, bool revoke, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, $"api/hosts/{Uri.EscapeDataString(hostId)}/{(revoke ? "revoke" : "forget")}", null, cancellationToken);
        var answer = await ReadAsync<HostKeysAnswer>(response, cancellationToken);
        return new HostKeysReply(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, answer.HostId, answer.Outcome);
    }

    public async Task<HostsReply> HostsAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, "api/hosts", null, cancellationToken);
        return new HostsReply(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, await ReadAsync<List<HostStatus>>(response, cancellationToken))
        {
            FunctionsVersion = response.Headers.TryGetValues(Intake.DeploymentIntake.FunctionsVersionHeader, out var versions) ? versions.FirstOrDefault() : null,
        };
    }

    public async Task<History> HistoryAsync(string name, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, $"api/deployments/{Uri.EscapeDataString(name)}/history", null, cancellationToken, HttpStatusCode.NotFound);
        return new History(name, response.StatusCode == HttpStatusCode.NotFound ? [] : await ReadAsync<List<HistoryEntry>>(response, cancellationToken));
    }

    public async Task<EventsReply> EventsAsync(string? name, long? after, DateTimeOffset? since, int limit, CancellationToken cancellationToken)
    {
        var query = new List<string> { $"limit={limit.ToString(CultureInfo.InvariantCulture)}" };
        if (name is not null)
        {
            query.Add($"name={Uri.EscapeDataString(name)}");
        }

        if (after is { } sequence)
        {
            query.Add($"after={sequence.ToString(CultureInfo.InvariantCulture)}");
        }

        if (since is { } moment)
        {
            query.Add($"since={Uri.EscapeDataString(moment.ToString("O", CultureInfo.InvariantCulture))}");
        }

        using var response = await SendAsync(HttpMethod.Get, $"api/events?{string.Join('&', query)}", null, cancellationToken);
        return new EventsReply(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, await ReadAsync<List<WorkersEvent>>(response, cancellationToken));
    }

    public async Task<PlanReply> PlanAsync(string specText, string source, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, "api/plan", SpecContent(specText, source), cancellationToken);
        return await ReadAsync<PlanReply>(response, cancellationToken);
    }

    public async Task<RollbackRequested> RollbackAsync(string name, long? to, CancellationToken cancellationToken)
    {
        var path = $"api/deployments/{Uri.EscapeDataString(name)}/rollback" + (to is { } revision ? $"?to={revision.ToString(CultureInfo.InvariantCulture)}" : string.Empty);
        using var response = await SendAsync(HttpMethod.Post, path, null, cancellationToken, HttpStatusCode.NotFound, HttpStatusCode.Conflict);
        if (!response.IsSuccessStatusCode)
        {
            throw new CliFailure(ExitCodes.Failed, "rollback.refused", await DetailAsync(response, cancellationToken));
        }

        var accepted = await ReadAsync<Accepted>(response, cancellationToken);
        return new RollbackRequested(accepted.DeploymentId, accepted.Name, accepted.Revision ?? 0, accepted.Image);
    }

    public async Task<SecretReply> SetSecretAsync(string name, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        var content = new ReadOnlyMemoryContent(value);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await SendAsync(HttpMethod.Put, $"api/secrets/{Uri.EscapeDataString(name)}", content, cancellationToken, HttpStatusCode.BadRequest, HttpStatusCode.UnprocessableEntity);
        return await SecretAnswerAsync(name, response, cancellationToken);
    }

    public async Task<SecretsReply> ListSecretsAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, "api/secrets", null, cancellationToken);
        return new SecretsReply(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, await ReadAsync<List<SecretSummary>>(response, cancellationToken));
    }

    public async Task<SecretReply> DeleteSecretAsync(string name, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"api/secrets/{Uri.EscapeDataString(name)}", null, cancellationToken, HttpStatusCode.NotFound, HttpStatusCode.BadRequest, HttpStatusCode.UnprocessableEntity);
        return response.StatusCode == HttpStatusCode.NotFound
            ? new SecretReply(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, name, SecretOutcome.NotFound)
            : await SecretAnswerAsync(name, response, cancellationToken);
    }

    /// <summary>
    /// One chunk of <c>GET /api/deployments/{name}/logs</c>, asked as the bus asks it (the cursor and the container to
    /// read on from), so that <c>workers logs -f</c> follows over HTTP exactly as over the bus. A refusal that concerns the
    /// logs (no such deployment, the host not answering) comes back as the reply's problem, as the bus gives it.
    /// </summary>
    public async Task<ReplicaLogsReply> LogsAsync(string name, int? replica, int? tail, DateTimeOffset? since, string? after, string? containerId, CancellationToken cancellationToken)
    {
        var query = new List<string>();
        if (replica is { } index)
        {
            query.Add($"replica={index.ToString(CultureInfo.InvariantCulture)}");
        }

        if (tail is { } lines)
        {
            query.Add($"tail={lines.ToString(CultureInfo.InvariantCulture)}");
        }

        if (since is { } moment)
        {
            query.Add($"since={Uri.EscapeDataString(moment.UtcDateTime.ToString("O", CultureInfo.InvariantCulture))}");
        }

        if (after is not null)
        {
            query.Add($"after={Uri.EscapeDataString(after)}");
        }

        if (containerId is not null)
        {
            query.Add($"container={Uri.EscapeDataString(containerId)}");
        }

        var path = $"api/deployments/{Uri.EscapeDataString(name)}/logs" + (query.Count > 0 ? "?" + string.Join('&', query) : string.Empty);
        using var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken, [.. LogsProblems.Keys]);
        if (LogsProblems.TryGetValue(response.StatusCode, out var problem))
        {
            return new ReplicaLogsReply(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, name, replica, null, containerId, [], after, false, false, problem, await DetailAsync(response, cancellationToken));
        }

        var chunk = await ReadAsync<LogsChunk>(response, cancellationToken);
        return new ReplicaLogsReply(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, chunk.Name, chunk.Replica, chunk.HostId, chunk.ContainerId, chunk.Lines, chunk.Cursor, chunk.More, chunk.Running);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// Sends, and turns every answer but success and the <paramref name="expected"/> ones into the one-line failure
    /// the bus gives for the same trouble.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken, params HttpStatusCode[] expected)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            var reason = Preflight.Chain(e).OfType<SocketException>().FirstOrDefault() is { } socket ? Preflight.Describe(socket, _connectLimit) : e.Message;
            throw new CliFailure(ExitCodes.Unavailable, "server.unreachable", $"cannot reach the Workers server at {Where}: {reason}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliFailure(ExitCodes.Unavailable, "server.unreachable", $"the Workers server at {Where} did not answer within {_http.Timeout.TotalSeconds:0}s", e);
        }

        if (response.IsSuccessStatusCode || expected.Contains(response.StatusCode))
        {
            return response;
        }

        using (response)
        {
            var detail = await DetailAsync(response, cancellationToken);
            throw response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => new CliFailure(ExitCodes.Unavailable, "server.token-missing", $"the Workers server at {Where} wants a token: set WORKERS_TOKEN, or add one to the context with 'workers context add NAME --server URL --token-stdin'"),
                HttpStatusCode.Forbidden => new CliFailure(ExitCodes.Unavailable, "server.token-refused", $"the Workers server at {Where} refused the token (403): it is not one of its API tokens"),
                HttpStatusCode.ServiceUnavailable => new CliFailure(ExitCodes.Unavailable, "functions.unavailable", $"the Workers server at {Where}: {detail}"),
                HttpStatusCode.UnprocessableEntity => new CliFailure(ExitCodes.Failed, "spec.invalid", $"the Workers server at {Where} refused the spec: {detail}"),
                >= HttpStatusCode.InternalServerError => new CliFailure(ExitCodes.Unavailable, "server.error", $"the Workers server at {Where} failed: {(int)response.StatusCode} {detail}"),
                _ => new CliFailure(ExitCodes.Usage, "server.refused", $"the Workers server at {Where} refused {method} /{path.Split('?')[0]}: {(int)response.StatusCode} {detail}"),
            };
        }
    }

    private string Where => _server.GetLeftPart(UriPartial.Authority);

    private static StringContent SpecContent(string specText, string source) =>
        new(specText, System.Text.Encoding.UTF8, source.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? "application/json" : "application/yaml");

    private async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken) ?? throw new JsonException("the body is null");
        }
        catch (JsonException e)
        {
            throw new CliFailure(ExitCodes.Unavailable, "server.error", $"the Workers server at {Where} answered {(int)response.StatusCode} with a body the CLI cannot read: {e.Message}", e);
        }
    }

    /// <summary>An RFC 9457 problem's <c>detail</c> (its title when it has none), in one line and at most 300 characters.</summary>
    private static async Task<string> DetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string? detail = null;
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<Problem>(Json, cancellationToken);
            detail = problem?.Detail ?? problem?.Title;
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            // Not a problem document (a proxy's page): the status says enough.
        }

        detail = (detail ?? response.ReasonPhrase ?? string.Empty).ReplaceLineEndings(" ");
        return detail.Length > 300 ? detail[..300] + "…" : detail;
    }

    private async Task<SecretReply> SecretAnswerAsync(string name, HttpResponseMessage response, CancellationToken cancellationToken) =>
        response.IsSuccessStatusCode
            ? new SecretReply(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, name, (await ReadAsync<SecretAnswerBody>(response, cancellationToken)).Outcome)
            : new SecretReply(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, name, SecretOutcome.Refused, await DetailAsync(response, cancellationToken));

    private sealed record Accepted(Guid DeploymentId, string Name, string Image, long? Revision);

    private sealed record SecretAnswerBody(string Name, SecretOutcome Outcome);

    private sealed record HostKeysAnswer(string HostId, string Outcome);

    private sealed record LogsChunk(string Name, int? Replica, string? HostId, string? ContainerId, IReadOnlyList<LogLine> Lines, string? Cursor, bool More, bool Running);

    private sealed record Problem(string? Title, string? Detail);
}
