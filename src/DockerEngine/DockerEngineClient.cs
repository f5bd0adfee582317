using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Serialization.Metadata;

namespace Workers.DockerEngine;

/// <summary>
/// The Docker Engine API calls the agent makes, over HTTP/1.1 to <c>unix://</c> or <c>tcp://</c> (see
/// <see cref="DockerEngineEndpoint"/>). With an <see cref="ApiVersion"/> every path is prefixed <c>/v{major}.{minor}</c>;
/// without, the engine answers at its own, newest version (what <c>GET /version</c> is asked with before negotiating).
/// </summary>
/// <remarks>
/// An answer below 200 or from 400 up is a <see cref="DockerEngineException"/> with the engine's message; 304 (already
/// started, already stopped) is not. Requests answered in one body are bounded by <see cref="DefaultTimeout"/> (a
/// cancellation the caller did not ask for when it passes); stop, which waits for the container, and the streams
/// (logs, exec output, events, pull progress) are bounded only by the caller's token.
/// </remarks>
public sealed class DockerEngineClient : IDisposable
{
    /// <summary>How long a request answered in one body may take.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(100);

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    /// <summary><c>X-Registry-Auth</c> of no credentials (<c>{}</c>, base64): a pull of a public image.</summary>
    private const string NoRegistryAuth = "e30=";

    private readonly HttpClient _http;
    private readonly string _prefix;
    private readonly TimeSpan _timeout;

    /// <param name="endpoint"><c>unix:///var/run/docker.sock</c> or <c>tcp://host:port</c>.</param>
    /// <param name="apiVersion">The API version to pin every path to, or null for unversioned paths.</param>
    /// <param name="timeout">The bound of a request answered in one body; <see cref="DefaultTimeout"/> when null.</param>
    /// <exception cref="NotSupportedException">The endpoint's scheme is not unix, tcp or http.</exception>
    public DockerEngineClient(Uri endpoint, Version? apiVersion = null, TimeSpan? timeout = null)
    {
        var (baseAddress, handler) = DockerEngineEndpoint.Connect(endpoint);
        _http = new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = baseAddress,
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Workers.DockerEngine", "1"));
        Endpoint = endpoint;
        ApiVersion = apiVersion;
        _prefix = apiVersion is null ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"v{apiVersion.Major}.{apiVersion.Minor}/");
        _timeout = timeout ?? DefaultTimeout;
    }

    public Uri Endpoint { get; }

    /// <summary>The API version every path is pinned to, or null.</summary>
    public Version? ApiVersion { get; }

    /// <summary><c>GET /version</c>.</summary>
    public Task<VersionResponse> GetVersionAsync(CancellationToken cancellationToken) =>
        GetAsync("version", DockerEngineJsonContext.Default.VersionResponse, cancellationToken);

    /// <summary><c>GET /info</c>.</summary>
    public Task<SystemInfoResponse> GetInfoAsync(CancellationToken cancellationToken) =>
        GetAsync("info", DockerEngineJsonContext.Default.SystemInfoResponse, cancellationToken);

    /// <summary><c>GET /containers/json</c>, stopped ones too when <paramref name="all"/>, narrowed by <paramref name="filters"/> (e.g. <c>label</c> → <c>key=value</c>).</summary>
    public async Task<IReadOnlyList<ContainerSummary>> ListContainersAsync(
        bool all, IReadOnlyDictionary<string, IReadOnlyCollection<string>>? filters, CancellationToken cancellationToken)
    {
        var query = new Query().Add("all", all);
        if (filters is { Count: > 0 })
        {
            query.Add("filters", Filters(filters));
        }

        return await GetAsync($"containers/json{query}", DockerEngineJsonContext.Default.ListContainerSummary, cancellationToken);
    }

    /// <summary><c>GET /containers/{id}/json</c>; 404 when there is no such container.</summary>
    public Task<ContainerInspectResponse> InspectContainerAsync(string nameOrId, CancellationToken cancellationToken) =>
        GetAsync($"containers/{Segment(nameOrId)}/json", DockerEngineJsonContext.Default.ContainerInspectResponse, cancellationToken);

    /// <summary><c>POST /containers/create?name=</c>; 409 when the name is in use, 404 when the image is not present.</summary>
    public Task<ContainerCreateResponse> CreateContainerAsync(string name, ContainerCreateRequest request, CancellationToken cancellationToken) =>
        SendAsync(
            HttpMethod.Post, $"containers/create{new Query().Add("name", name)}",
            Body(request, DockerEngineJsonContext.Default.ContainerCreateRequest),
            DockerEngineJsonContext.Default.ContainerCreateResponse, cancellationToken);

    /// <summary><c>POST /containers/{id}/start</c>; false when it was already running (304).</summary>
    public async Task<bool> StartContainerAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await SendBoundedAsync(HttpMethod.Post, $"containers/{Segment(id)}/start", null, cancellationToken);
        return response.StatusCode != HttpStatusCode.NotModified;
    }

    /// <summary>
    /// <c>POST /containers/{id}/stop?t=</c>: SIGTERM, then SIGKILL after <paramref name="waitBeforeKillSeconds"/>; false
    /// when it was already stopped (304). Not bounded by <see cref="DefaultTimeout"/>: the engine answers once it has stopped.
    /// </summary>
    public async Task<bool> StopContainerAsync(string id, uint waitBeforeKillSeconds, CancellationToken cancellationToken)
    {
        using var response = await SendStreamedAsync(
            HttpMethod.Post, $"containers/{Segment(id)}/stop{new Query().Add("t", waitBeforeKillSeconds.ToString(CultureInfo.InvariantCulture))}",
            null, cancellationToken);
        return response.StatusCode != HttpStatusCode.NotModified;
    }

    /// <summary><c>DELETE /containers/{id}</c>, killing it first when <paramref name="force"/>.</summary>
    public async Task RemoveContainerAsync(string id, bool force, CancellationToken cancellationToken)
    {
        using var response = await SendBoundedAsync(HttpMethod.Delete, $"containers/{Segment(id)}{new Query().Add("force", force)}", null, cancellationToken);
    }

    /// <summary><c>POST /containers/{id}/unpause</c>.</summary>
    public async Task UnpauseContainerAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await SendBoundedAsync(HttpMethod.Post, $"containers/{Segment(id)}/unpause", null, cancellationToken);
    }

    /// <summary><c>POST /containers/{id}/exec</c>; 409 when the container is not running.</summary>
    public Task<ExecCreateResponse> CreateExecAsync(string containerId, ExecCreateRequest request, CancellationToken cancellationToken) =>
        SendAsync(
            HttpMethod.Post, $"containers/{Segment(containerId)}/exec",
            Body(request, DockerEngineJsonContext.Default.ExecCreateRequest),
            DockerEngineJsonContext.Default.ExecCreateResponse, cancellationToken);

    /// <summary>
    /// <c>POST /exec/{id}/start</c> without a TTY: the command's output, multiplexed, until it ends. Asked without
    /// <c>Upgrade</c>, the engine answers 200 and then writes the output on the connection until it closes it.
    /// </summary>
    public async Task<DockerMultiplexedStream> StartExecAsync(string execId, CancellationToken cancellationToken)
    {
        var response = await SendStreamedAsync(
            HttpMethod.Post, $"exec/{Segment(execId)}/start",
            Body(new ExecStartRequest(Detach: false, Tty: false), DockerEngineJsonContext.Default.ExecStartRequest), cancellationToken);
        return await OutputOfAsync(response, multiplexed: true, cancellationToken);
    }

    /// <summary><c>GET /exec/{id}/json</c>.</summary>
    public Task<ExecInspectResponse> InspectExecAsync(string execId, CancellationToken cancellationToken) =>
        GetAsync($"exec/{Segment(execId)}/json", DockerEngineJsonContext.Default.ExecInspectResponse, cancellationToken);

    /// <summary>
    /// <c>GET /containers/{id}/logs</c>, not followed: multiplexed unless the container has a TTY (its
    /// <c>Config.Tty</c>, which the caller reads by inspecting it; the engine's content type does not say before API 1.42).
    /// </summary>
    public async Task<DockerMultiplexedStream> GetContainerLogsAsync(
        string id, ContainerLogsQuery query, bool tty, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var parameters = new Query()
            .Add("stdout", query.Stdout)
            .Add("stderr", query.Stderr)
            .Add("timestamps", query.Timestamps)
            .Add("follow", false)
            .Add("tail", query.Tail);
        if (query.Since is { } since)
        {
            parameters.Add("since", since);
        }

        var response = await SendStreamedAsync(HttpMethod.Get, $"containers/{Segment(id)}/logs{parameters}", null, cancellationToken);
        return await OutputOfAsync(response, multiplexed: !tty, cancellationToken);
    }

    /// <summary>
    /// <c>GET /events</c> narrowed by <paramref name="filters"/> (e.g. <c>type</c> → <c>container</c>, <c>event</c> →
    /// <c>die</c>): each event as it comes, until the caller cancels or the engine ends the stream.
    /// </summary>
    public async IAsyncEnumerable<EventMessage> MonitorEventsAsync(
        IReadOnlyDictionary<string, IReadOnlyCollection<string>> filters, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filters);
        using var response = await SendStreamedAsync(HttpMethod.Get, $"events{new Query().Add("filters", Filters(filters))}", null, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await foreach (var message in JsonValueStream.ReadAsync(body, DockerEngineJsonContext.Default.EventMessage, cancellationToken))
        {
            yield return message;
        }
    }

    /// <summary>
    /// <c>POST /images/create?fromImage=</c>, its progress read to the end.
    /// </summary>
    /// <returns>null when the pull completed, else the first error the progress stream reported (the status is 200 by then).</returns>
    public async Task<string?> PullImageAsync(string image, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        using var request = Request(HttpMethod.Post, $"images/create{new Query().Add("fromImage", image)}", null);
        request.Headers.Add("X-Registry-Auth", NoRegistryAuth);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        string? error = null;
        await foreach (var message in JsonValueStream.ReadAsync(body, DockerEngineJsonContext.Default.ProgressMessage, cancellationToken))
        {
            error ??= message.ErrorDetail?.Message is { Length: > 0 } detail ? detail
                : message.Error is { Length: > 0 } text ? text
                : null;
        }

        return error;
    }

    public void Dispose() => _http.Dispose();

    private async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken) =>
        await SendAsync(HttpMethod.Get, path, null, typeInfo, cancellationToken);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(_timeout);
        using var request = Request(method, path, content);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, bounded.Token);
        var body = await response.Content.ReadAsByteArrayAsync(bounded.Token);
        return JsonSerializer.Deserialize(body, typeInfo)
            ?? throw new InvalidDataException($"the Docker engine answered {method} /{path} with null");
    }

    private async Task<HttpResponseMessage> SendBoundedAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(_timeout);
        using var request = Request(method, path, content);
        return await SendAsync(request, HttpCompletionOption.ResponseContentRead, bounded.Token);
    }

    private async Task<HttpResponseMessage> SendStreamedAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = Request(method, path, content);
        return await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>Sends; an error status becomes a <see cref="DockerEngineException"/> with the body read.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        var response = await _http.SendAsync(request, completion, cancellationToken);
        if (response.StatusCode is >= HttpStatusCode.OK and < HttpStatusCode.BadRequest)
        {
            return response;
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new DockerEngineException(response.StatusCode, body);
        }
    }

    private static async Task<DockerMultiplexedStream> OutputOfAsync(HttpResponseMessage response, bool multiplexed, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            return new DockerMultiplexedStream(body, multiplexed, response);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private HttpRequestMessage Request(HttpMethod method, string path, HttpContent? content) =>
        new(method, new Uri(_prefix + path, UriKind.Relative)) { Content = content };

    private static ByteArrayContent Body<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo));
        content.Headers.ContentType = Json;
        return content;
    }

    /// <summary>The engine's filters parameter: each name mapped to a set of values (<c>{"label":{"a=b":true}}</c>).</summary>
    private static string Filters(IReadOnlyDictionary<string, IReadOnlyCollection<string>> filters) =>
        JsonSerializer.Serialize(
            filters.ToDictionary(
                filter => filter.Key,
                filter => filter.Value.ToDictionary(value => value, _ => true, StringComparer.Ordinal),
                StringComparer.Ordinal),
            DockerEngineJsonContext.Default.DictionaryStringDictionaryStringBoolean);

    private static string Segment(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        return Uri.EscapeDataString(value);
    }

    /// <summary>A query string, escaped.</summary>
    private sealed class Query
    {
        private readonly StringBuilder _text = new();

        public Query Add(string name, bool value) => Add(name, value ? "1" : "0");

        public Query Add(string name, string value)
        {
            _text.Append(_text.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
            return this;
        }

        public override string ToString() => _text.ToString();
    }
}
