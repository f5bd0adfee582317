using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Workers.Intake.Dashboard;
using Workers.Intake.Events;
using Workers.Intake.GitHub;
using Workers.Intake.Http;
using Workers.Intake.Security;
using Workers.Intake.Triggers;

namespace Workers.Intake;

/// <summary>Registers and maps the HTTP intake and the webhooks.</summary>
public static class IntakeRegistration
{
    /// <summary>
    /// The intake's logic, options (validated at start) and trigger rules. Needs the handlers and store
    /// (<c>AddWorkersHandlers</c>) and an <c>IEffectsDispatcher</c> from the host's transport.
    /// </summary>
    public static IServiceCollection AddWorkersIntake(this IServiceCollection services)
    {
        services.AddOptions<IntakeOptions>()
            .BindConfiguration(IntakeOptions.Section)
            .Configure<IConfiguration>(ReadEnvironment)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<IntakeOptions>, IntakeOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ApiTokens>();
        services.AddSingleton<TriggerRules>();
        services.AddSingleton<UnverifiedBodies>();
        services.AddScoped<DeploymentIntake>();
        services.AddScoped<SecretsIntake>();
        services.AddScoped<LogsIntake>();
        services.AddScoped<HostKeysIntake>();
        services.AddScoped<PlanIntake>();
        services.AddScoped<GitHubHookHandler>();
        services.AddScoped<EventsHookHandler>();
        return services;
    }

    /// <summary>
    /// The intake in a <see cref="WebApplication"/>: listens on <c>WORKERS_HTTP_URLS</c> (comma-separated, such as
    /// <c>http://0.0.0.0:8080</c>); when that is unset, nothing listens and the host runs only its bus consumers.
    /// </summary>
    public static WebApplicationBuilder AddWorkersHttpIntake(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddWorkersIntake();
        var urls = builder.Configuration["WORKERS_HTTP_URLS"]?.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        if (urls.Length == 0)
        {
            builder.Services.AddSingleton<IServer, NoServer>();
        }
        else
        {
            builder.WebHost.UseUrls(urls);
        }

        return builder;
    }

    /// <summary>
    /// <c>/api/deployments</c>, <c>/api/secrets</c>, <c>/api/hosts</c>, <c>/api/events</c>, <c>/api/hooks/github</c> and
    /// <c>/api/hooks/events</c>, and the web dashboard at <c>/ui/</c>.
    /// </summary>
    public static IEndpointRouteBuilder MapWorkersIntake(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api");
        api.MapPost("/deployments", (HttpRequest request, [FromServices] DeploymentIntake intake, CancellationToken cancellationToken) =>
            IntakeHttp.PostDeploymentAsync(request, intake, cancellationToken));
        api.MapPost("/validate", (HttpRequest request, [FromServices] DeploymentIntake intake, CancellationToken cancellationToken) =>
            IntakeHttp.ValidateAsync(request, intake, cancellationToken));
        api.MapPost("/plan", (HttpRequest request, [FromServices] DeploymentIntake intake, [FromServices] PlanIntake planner, CancellationToken cancellationToken) =>
            IntakeHttp.PlanAsync(request, intake, planner, cancellationToken));
        api.MapGet("/deployments", (HttpRequest request, [FromServices] DeploymentIntake intake, CancellationToken cancellationToken) =>
            IntakeHttp.ListDeploymentsAsync(request, intake, cancellationToken));
        api.MapGet("/deployments/{name}", (HttpRequest request, string name, [FromServices] DeploymentIntake intake, CancellationToken cancellationToken) =>
            IntakeHttp.GetDeploymentAsync(request, name, intake, cancellationToken));
        api.MapDelete("/deployments/{name}", (HttpRequest request, string name, [FromServices] DeploymentIntake intake, CancellationToken cancellationToken) =>
            IntakeHttp.DeleteDeploymentAsync(request, name, intake, cancellationToken));
        api.MapGet("/deployments/{name}/history", (HttpRequest request, string name, [FromServices] DeploymentIntake intake, CancellationToken cancellationToken) =>
            IntakeHttp.GetHistoryAsync(request, name, intake, cancellationToken));
        api.MapPost("/deployments/{name}/rollback", (HttpRequest request, string name, [FromServices] DeploymentIntake intake, CancellationToken cancellationToken) =>
            IntakeHttp.RollbackAsync(request, name, intake, cancellationToken));
        api.MapGet("/deployments/{name}/logs", (HttpRequest request, string name, [FromServices] DeploymentIntake intake, [FromServices] LogsIntake logs, CancellationToken cancellationToken) =>
            IntakeHttp.GetLogsAsync(request, name, intake, logs, cancellationToken));
        api.MapPut("/secrets/{name}", (HttpRequest request, string name, [FromServices] DeploymentIntake intake, [FromServices] SecretsIntake secrets, CancellationToken cancellationToken) =>
            IntakeHttp.PutSecretAsync(request, name, intake, secrets, cancellationToken));
        api.MapGet("/secrets", (HttpRequest request, [FromServices] DeploymentIntake intake, [FromServices] SecretsIntake secrets, CancellationToken cancellationToken) =>
            IntakeHttp.ListSecretsAsync(request, intake, secrets, cancellationToken));
        api.MapDelete("/secrets/{name}", (HttpRequest request, string name, [FromServices] DeploymentIntake intake, [FromServices] SecretsIntake secrets, CancellationToken cancellationToken) =>
            IntakeHttp.DeleteSecretAsync(request, name, intake, secrets, cancellationToken));
        api.MapGet("/hosts", (HttpRequest request, [FromServices] DeploymentIntake intake, CancellationToken cancellationToken) =>
            IntakeHttp.GetHostsAsync(request, intake, cancellationToken));
        api.MapPost("/hosts/{id}/forget", (HttpRequest request, string id, [FromServices] DeploymentIntake intake, [FromServices] HostKeysIntake hostKeys, CancellationToken cancellationToken) =>
            IntakeHttp.ForgetHostAsync(request, id, revoke: false, intake, hostKeys, cancellationToken));
        api.MapPost("/hosts/{id}/revoke", (HttpRequest request, string id, [FromServices] DeploymentIntake intake, [FromServices] HostKeysIntake hostKeys, CancellationToken cancellationToken) =>
            IntakeHttp.ForgetHostAsync(request, id, revoke: true, intake, hostKeys, cancellationToken));
        api.MapGet("/events", (HttpRequest request, [FromServices] DeploymentIntake intake, CancellationToken cancellationToken) =>
            IntakeHttp.GetEventsAsync(request, intake, cancellationToken));
        api.MapGet("/events/stream", (HttpContext context, [FromServices] DeploymentIntake intake, [FromServices] IHostApplicationLifetime lifetime) =>
            EventStream.StreamAsync(context, intake, lifetime));
        api.MapPost("/hooks/github", (HttpRequest request, [FromServices] GitHubHookHandler handler, CancellationToken cancellationToken) =>
            IntakeHttp.GitHubAsync(request, handler, cancellationToken));
        api.MapPost("/hooks/events", (HttpRequest request, [FromServices] EventsHookHandler handler, CancellationToken cancellationToken) =>
            IntakeHttp.EventsAsync(request, handler, cancellationToken));
        endpoints.MapWorkersDashboard();
        return endpoints;
    }

    private static void ReadEnvironment(IntakeOptions options, IConfiguration configuration)
    {
        foreach (var token in (configuration["WORKERS_API_TOKENS"] ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            options.ApiTokens.Add(token);
        }

        options.GitHubSecret = configuration["WORKERS_GITHUB_SECRET"] is { Length: > 0 } github ? github : options.GitHubSecret;
        options.WebhookSecret = configuration["WORKERS_WEBHOOK_SECRET"] is { Length: > 0 } webhook ? webhook : options.WebhookSecret;
    }

    private sealed class IntakeOptionsValidator : IValidateOptions<IntakeOptions>
    {
        public ValidateOptionsResult Validate(string? name, IntakeOptions options)
        {
            var errors = new List<string>(TriggerRules.Validate(options));
            if (!StandardWebhook.TryParseSecrets(options.WebhookSecret, out _, out var error))
            {
                errors.Add($"WORKERS_WEBHOOK_SECRET: {error}");
            }

            if (options.MaxUnverifiedBodies < 1)
            {
                errors.Add($"{IntakeOptions.Section}:MaxUnverifiedBodies must be at least 1, got {options.MaxUnverifiedBodies}");
            }

            if (options.UnverifiedBodyTimeout <= TimeSpan.Zero)
            {
                errors.Add($"{IntakeOptions.Section}:UnverifiedBodyTimeout must be longer than 0, got {options.UnverifiedBodyTimeout}");
            }

            if (options.Triggers.Count > 0 && string.IsNullOrEmpty(options.GitHubSecret))
            {
                errors.Add("trigger rules are configured but WORKERS_GITHUB_SECRET is not: no GitHub delivery could be verified");
            }

            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }

    /// <summary>The server when <c>WORKERS_HTTP_URLS</c> is unset: nothing listens.</summary>
    private sealed class NoServer : IServer
    {
        public IFeatureCollection Features { get; } = new FeatureCollection();

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
            where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
        }
    }
}
