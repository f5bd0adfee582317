using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Workers.Functions.Handlers;
using Workers.Functions.Store;
using Workers.Security;

namespace Workers.Functions;

/// <summary>
/// Registers the functions' handlers and store, whatever carries their messages: src/Functions.MassTransit (RabbitMQ
/// or in memory) and src/Functions.ServiceBus add the consumers and the <see cref="IEffectsDispatcher"/>.
/// </summary>
public static class HandlersRegistration
{
    /// <summary>The handlers and the store; host-agnostic (the Azure Functions app uses this too).</summary>
    public static IServiceCollection AddWorkersHandlers(this IServiceCollection services, Func<IServiceProvider, SqlDialect> dialect)
    {
        services.AddOptions<FunctionsOptions>()
            .BindConfiguration("Workers")
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FunctionsOptions>, FunctionsOptionsValidation>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddWorkersSigningKey();
        services.AddScoped<AgentSenders>();
        services.AddScoped<HostKeysHandler>();
        services.TryAddSingleton(dialect);
        services.TryAddSingleton<IDeploymentStore>(sp => new SqlDeploymentStore(sp.GetRequiredService<SqlDialect>(), sp.GetRequiredService<IOptions<FunctionsOptions>>().Value.CommandTimeToLive));
        services.AddHostedService<StoreMigrationService>();
        services.AddWorkersSecrets();
        services.AddScoped<ValidateHandler>();
        services.AddScoped<PlanHandler>();
        services.AddScoped<TrackHandler>();
        services.AddSingleton<OrphanStops>();
        services.AddScoped<InventoryHandler>();
        services.AddScoped<DeleteHandler>();
        services.AddScoped<LogsHandler>();
        services.AddScoped<QueryHandler>();
        services.AddScoped<DryRunHandler>();
        services.AddScoped<SweepHandler>();
        return services;
    }

    /// <summary>
    /// Secrets: the store (encrypted at rest under WORKERS_SECRETS_KEY, or the key file beside a SQLite store), the
    /// start-up check that refuses a missing or wrong key once secrets exist, the handler, the sealing of start commands,
    /// and the functions' sealing key (WORKERS_SEALING_KEY, or control-sealing.key) that clients seal values to.
    /// </summary>
    private static IServiceCollection AddWorkersSecrets(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => SecretsKeySource.From(Setting(sp, SecretsKeySource.Setting), sp.GetRequiredService<SqlDialect>()));
        services.TryAddSingleton<ISecretStore>(sp => new SqlSecretStore(sp.GetRequiredService<SqlDialect>(), sp.GetRequiredService<SecretsKeySource>()));
        services.AddHostedService<SecretsKeyCheck>();
        services.TryAddKeyedSingleton(SecretsHandler.SealingKeyService, (sp, _) => ControlPlaneSealingKey.Load(Setting(sp, "WORKERS_SEALING_KEY")));
        services.AddScoped<SecretsHandler>();
        services.AddScoped<SecretSealer>();
        return services;
    }

    /// <summary>A setting from the host's configuration, else the environment (the CLI's embedded host reads no environment into its configuration).</summary>
    private static string? Setting(IServiceProvider services, string name) =>
        services.GetService<Microsoft.Extensions.Configuration.IConfiguration>()?[name] is { Length: > 0 } value ? value : Environment.GetEnvironmentVariable(name);

    /// <summary>
    /// The self-hosted sweep: runs <see cref="SweepHandler"/> every SweepInterval and hands its effects to the
    /// transport's <see cref="IEffectsDispatcher"/>, which must be registered too.
    /// </summary>
    public static IServiceCollection AddWorkersSweepService(this IServiceCollection services) =>
        services.AddHostedService<SweepService>();

    /// <summary>
    /// The functions host's event log: one structured line per event as the store records it. Not in the CLI's
    /// embedded default, whose standard error is for the command's own failures.
    /// </summary>
    public static IServiceCollection AddWorkersEventLog(this IServiceCollection services) =>
        services.AddHostedService<EventLogService>();
}
