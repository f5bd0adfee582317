using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Workers.Functions.Handlers;
using Workers.Functions.Store;
using Workers.Security;
using Workers.Transport;

namespace Workers.Functions.Bus;

/// <summary>Registers the functions: handlers, store, and their MassTransit consumers on their queues.</summary>
public static class FunctionsRegistration
{
    /// <summary>The handlers and the store; host-agnostic (the Azure Functions app uses this too).</summary>
    public static IServiceCollection AddWorkersHandlers(this IServiceCollection services, Func<IServiceProvider, SqlDialect> dialect)
    {
        services.AddOptions<FunctionsOptions>()
            .BindConfiguration("Workers")
            .Validate(o => o.HostTimeout > TimeSpan.Zero && o.CommandTimeToLive > TimeSpan.Zero, "Workers:HostTimeout and Workers:CommandTimeToLive must be positive")
            .Validate(o => o.EventRetention > TimeSpan.Zero, "Workers:EventRetention must be positive (how long the event history keeps an event)")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddWorkersSigningKey();
        services.AddScoped<AgentSenders>();
        services.AddScoped<HostKeysHandler>();
        services.TryAddSingleton(dialect);
        services.TryAddSingleton<IDeploymentStore>(sp => new SqlDeploymentStore(sp.GetRequiredService<SqlDialect>()));
        services.AddHostedService<StoreMigrationService>();
        services.AddWorkersSecrets();
        services.AddScoped<ValidateHandler>();
        services.AddScoped<PlanHandler>();
        services.AddScoped<TrackHandler>();
        services.AddScoped<InventoryHandler>();
        services.AddScoped<DeleteHandler>();
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

    /// <summary>The MassTransit dispatcher for code outside consumers (the HTTP intake, the sweep).</summary>
    public static IServiceCollection AddWorkersBusDispatcher(this IServiceCollection services) =>
        services.AddWorkersSigningKey().AddSingleton<IEffectsDispatcher, BusEffectsDispatcher>();

    /// <summary>The self-hosted sweep: runs <see cref="SweepHandler"/> every SweepInterval and dispatches on the bus. Call after AddWorkersBus.</summary>
    public static IServiceCollection AddWorkersSweep(this IServiceCollection services)
    {
        services.AddWorkersBusDispatcher();
        return services.AddHostedService<SweepService>();
    }

    /// <summary>The consumers, each on its own queue.</summary>
    public static void AddWorkersFunctionConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddConsumer<ValidateConsumer>().Endpoint(e => e.Name = Queues.Validate);
        bus.AddConsumer<PlanConsumer>(PlanInBatches).Endpoint(e =>
        {
            e.Name = Queues.Plan;
            e.PrefetchCount = 4 * PlanBatchSize;
        });
        bus.AddConsumer<TrackConsumer>(RetryConflicts).Endpoint(e => e.Name = Queues.Track);
        bus.AddConsumer<InventoryConsumer>(RetryConflicts).Endpoint(e => e.Name = Queues.Inventory);
        bus.AddConsumer<DeleteConsumer>().Endpoint(e => e.Name = Queues.Delete);
        bus.AddConsumer<QueryConsumer>().Endpoint(e => e.Name = Queues.Query);
        bus.AddConsumer<SecretsConsumer>().Endpoint(e => e.Name = Queues.Query);
        bus.AddConsumer<HostKeysConsumer>().Endpoint(e => e.Name = Queues.Query);
        bus.AddConfigureEndpointsCallback((_, _, endpoint) => endpoint.ApplyWorkersEndpointPolicy());
    }

    /// <summary>The most accepted deployments one plan pass takes.</summary>
    public const int PlanBatchSize = 16;

    /// <summary>
    /// What has queued up is planned in passes of up to <see cref="PlanBatchSize"/>: the cluster is read once per pass,
    /// not once per deployment, and the plans of one pass never race each other. A lone deployment waits at most 5 ms
    /// for company. Four passes may run at once per process, so that a pass waiting for the store or for the broker's
    /// confirms does not hold up the next (one at a time was slower when deployments trickle in one by one).
    /// </summary>
    private static void PlanInBatches(IRegistrationContext context, IConsumerConfigurator<PlanConsumer> consumer)
    {
        RetryConflicts(context, consumer);
        consumer.Options<BatchOptions>(batch => batch
            .SetMessageLimit(PlanBatchSize)
            .SetTimeLimit(TimeSpan.FromMilliseconds(5))
            .SetConcurrencyLimit(4));
    }

    /// <summary>
    /// Planners that run at once pick the same lowest free host port, and the losers plan again. In a burst (the
    /// backlog after a broker restart) one can lose many times in a row; the endpoint's few retries would then send
    /// the deployment to the error queue, so port races get their own, longer and jittered, retry first.
    /// </summary>
    private static void RetryConflicts<T>(IRegistrationContext context, IConsumerConfigurator<T> consumer)
        where T : class =>
        consumer.UseMessageRetry(retry =>
        {
            retry.Handle<ConcurrencyConflictException>();
            retry.Exponential(20, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(50));
        });
}
