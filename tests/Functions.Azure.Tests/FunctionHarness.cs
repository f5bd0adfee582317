using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Workers.Functions.Handlers;
using Workers.Functions.Store;
using Workers.Intake;

namespace Workers.Functions.Azure.Tests;

/// <summary>
/// The services the Azure Functions app registers (handlers, store on a SQLite file, intake), with a recording
/// dispatcher in place of the Service Bus one and a fake clock; requests are ASP.NET Core HttpContexts, which is what
/// the Functions ASP.NET Core integration hands the functions.
/// </summary>
internal sealed class FunctionHarness : IAsyncDisposable
{
    public const string Token = "azure-token";
    public const string GitHubSecret = "It's a Secret to Everybody";

    private readonly string _database = Path.Combine(Path.GetTempPath(), $"workers-azure-{Guid.NewGuid():N}.db");
    private readonly ServiceProvider _services;

    public FunctionHarness()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["WORKERS_API_TOKENS"] = Token,
            ["WORKERS_GITHUB_SECRET"] = GitHubSecret,
            ["Workers:Intake:Triggers:0:Repository"] = "acme/web",
            ["Workers:Intake:Triggers:0:Event"] = "push",
            ["Workers:Intake:Triggers:0:Ref"] = "refs/tags/v*",
            ["Workers:Intake:Triggers:0:Spec"] = "name: web\nimage: ghcr.io/acme/web:latest\n",
            ["Workers:Intake:Triggers:0:Image"] = "ghcr.io/acme/web:{tag}",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddSingleton<TimeProvider>(Time);
        services.AddSingleton<IEffectsDispatcher>(Dispatcher);
        services.AddWorkersHandlers(_ => new SqliteDialect(_database));
        services.AddWorkersIntake();
        _services = services.BuildServiceProvider(validateScopes: true);
    }

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public RecordingDispatcher Dispatcher { get; } = new();

    public IServiceProvider Services => _services;

    public IDeploymentStore Store => _services.GetRequiredService<IDeploymentStore>();

    public async Task StartAsync()
    {
        foreach (var service in _services.GetServices<IHostedService>())
        {
            await service.StartAsync(CancellationToken.None);
        }
    }

    public HttpRequest Request(string method, string body = "", string? contentType = null, IDictionary<string, string>? headers = null)
    {
        var context = new DefaultHttpContext { RequestServices = _services };
        context.Request.Method = method;
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        context.Request.ContentLength = context.Request.Body.Length;
        context.Request.ContentType = contentType;
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Request.Headers[name] = value;
        }

        context.Response.Body = new MemoryStream();
        return context.Request;
    }

    /// <summary>Runs the function's result the way the Functions ASP.NET Core integration does, and reads the response.</summary>
    public static async Task<(int Status, string? Location, string ContentType, string Body)> ExecuteAsync(HttpRequest request, IActionResult result)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(result);
        var context = request.HttpContext;
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
        context.Response.Body.Position = 0;
        using var reader = new StreamReader(context.Response.Body);
        return (context.Response.StatusCode, context.Response.Headers.Location, context.Response.ContentType ?? string.Empty, await reader.ReadToEndAsync());
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        File.Delete(_database);
    }
}
