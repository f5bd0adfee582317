using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Workers.Contracts.Messages;
using Workers.Functions;
using Workers.Functions.Handlers;
using Workers.Functions.Store;
using Workers.Intake.Security;

namespace Workers.Intake.Tests.Support;

/// <summary>
/// The intake as the functions host maps it, on ASP.NET Core's TestServer or over real HTTP (Kestrel on 127.0.0.1),
/// with a real SQLite store in a temporary file, a recording dispatcher in place of the bus, and a fake clock.
/// </summary>
internal sealed class IntakeHarness : IAsyncDisposable
{
    public const string Token = "token-for-tests-1";
    public const string GitHubSecret = "It's a Secret to Everybody";

    /// <summary>The Standard Webhooks specification's test secret.</summary>
    public const string WebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    public const string Template = """
        name: web
        image: ghcr.io/acme/web:latest
        replicas: 2
        ports:
          - container: 8080
        """;

    private readonly string _database;

    private IntakeHarness(WebApplication app, RecordingDispatcher dispatcher, FakeTimeProvider time, CapturingLoggerProvider logs, string database) =>
        (App, Dispatcher, Time, Logs, _database) = (app, dispatcher, time, logs, database);

    public WebApplication App { get; }

    public RecordingDispatcher Dispatcher { get; }

    public FakeTimeProvider Time { get; }

    public CapturingLoggerProvider Logs { get; }

    public HttpClient Client { get; private set; } = null!;

    public IDeploymentStore Store => App.Services.GetRequiredService<IDeploymentStore>();

    /// <summary>The default settings: one token, both secrets, and rules for acme/web's tags, main branch, releases and packages.</summary>
    public static Dictionary<string, string?> DefaultSettings() => new()
    {
        ["WORKERS_API_TOKENS"] = $"{Token}, token-for-tests-2",
        ["WORKERS_GITHUB_SECRET"] = GitHubSecret,
        ["WORKERS_WEBHOOK_SECRET"] = WebhookSecret,
        ["Workers:Intake:Triggers:0:Repository"] = "acme/web",
        ["Workers:Intake:Triggers:0:Event"] = "push",
        ["Workers:Intake:Triggers:0:Ref"] = "refs/tags/v*",
        ["Workers:Intake:Triggers:0:Spec"] = Template,
        ["Workers:Intake:Triggers:0:Image"] = "ghcr.io/acme/web:{tag}",
        ["Workers:Intake:Triggers:1:Repository"] = "acme/web",
        ["Workers:Intake:Triggers:1:Event"] = "release",
        ["Workers:Intake:Triggers:1:Ref"] = "refs/tags/v*",
        ["Workers:Intake:Triggers:1:Spec"] = Template,
        ["Workers:Intake:Triggers:1:Image"] = "ghcr.io/acme/web:{version}",
        ["Workers:Intake:Triggers:2:Repository"] = "acme/web",
        ["Workers:Intake:Triggers:2:Event"] = "registry_package",
        ["Workers:Intake:Triggers:2:Package"] = "web",
        ["Workers:Intake:Triggers:2:Spec"] = Template,
        ["Workers:Intake:Triggers:2:Image"] = "ghcr.io/{repository}:{tag}",
    };

    public static async Task<IntakeHarness> StartAsync(Dictionary<string, string?>? settings = null, DateTimeOffset? now = null, bool overHttp = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        if (overHttp)
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        }
        else
        {
            builder.WebHost.UseTestServer();
        }

        builder.Configuration.AddInMemoryCollection(settings ?? DefaultSettings());
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        var time = new FakeTimeProvider(now ?? DateTimeOffset.UtcNow);
        var dispatcher = new RecordingDispatcher();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSingleton<IEffectsDispatcher>(dispatcher);
        var database = Path.Combine(Path.GetTempPath(), $"workers-intake-{Guid.NewGuid():N}.db");
        builder.Services.AddWorkersHandlers(_ => new SqliteDialect(database));
        builder.Services.AddWorkersIntake();
        var app = builder.Build();
        app.MapWorkersIntake();
        var harness = new IntakeHarness(app, dispatcher, time, logs, database);
        await app.StartAsync();
        harness.Client = overHttp
            ? new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single()) }
            : app.GetTestClient();
        return harness;
    }

    public Task<HttpResponseMessage> PostSpecAsync(string body, string contentType = "application/yaml", string? token = Token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/deployments") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return Client.SendAsync(request);
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token = Token)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return Client.SendAsync(request);
    }

    /// <summary>
    /// Records a request the intake published as the pipeline would once it planned it (a revision with its spec and
    /// <c>RequestedBy</c>), with no replicas: what the intake reads back to order events.
    /// </summary>
    public async Task RecordRevisionAsync(DeploymentRequested request)
    {
        var spec = Workers.Contracts.Spec.SpecParser.Parse(request.SpecText, request.Source).Spec!;
        await Store.SavePlanAsync(request.CorrelationId, spec, request.RequestedBy, [], [], Time.GetUtcNow(), CancellationToken.None);
    }

    public Task<HttpResponseMessage> PostGitHubAsync(string @event, byte[] body, string? delivery = null, string? signature = null, bool sign = true)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/hooks/github") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-GitHub-Event", @event);
        request.Headers.Add("X-GitHub-Delivery", delivery ?? Guid.NewGuid().ToString());
        request.Headers.Add("User-Agent", "GitHub-Hookshot/044aadd");
        if (sign)
        {
            request.Headers.Add("X-Hub-Signature-256", signature ?? GitHubSignature.Sign(Encoding.UTF8.GetBytes(GitHubSecret), body));
        }

        return Client.SendAsync(request);
    }

    public Task<HttpResponseMessage> PostEventAsync(string body, string? id = null, long? timestamp = null, string? signature = null)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        id ??= $"msg_{Guid.NewGuid():N}";
        var at = timestamp ?? Time.GetUtcNow().ToUnixTimeSeconds();
        StandardWebhook.TryParseSecrets(WebhookSecret, out var keys, out _);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/hooks/events") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", at.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", signature ?? StandardWebhook.Sign(keys[0], id, at, bytes));
        return Client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        SqliteConnection.ClearAllPools();
        File.Delete(_database);
    }
}
