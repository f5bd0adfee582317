using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Workers.Functions.Handlers;
using Workers.Functions.Store;
using Workers.Transport;

namespace Workers.Functions.Bus;

/// <summary>
/// The functions on MassTransit: their consumers on their queues, and the dispatcher that carries out effects from
/// outside a consumer. The handlers and the store are <see cref="HandlersRegistration.AddWorkersHandlers"/>'s, whatever the transport.
/// </summary>
public static class FunctionsRegistration
{
    /// <summary>The MassTransit dispatcher for code outside consumers (the HTTP intake, the sweep), and its reader of replicas' logs.</summary>
    public static IServiceCollection AddWorkersBusDispatcher(this IServiceCollection services) =>
        services.AddWorkersSigningKey().AddSingleton<IEffectsDispatcher, BusEffectsDispatcher>().AddSingleton<IReplicaLogsReader, BusReplicaLogsReader>();

    /// <summary>The self-hosted sweep: runs <see cref="SweepHandler"/> every SweepInterval and dispatches on the bus. Call after AddWorkersBus.</summary>
    public static IServiceCollection AddWorkersSweep(this IServiceCollection services) =>
        services.AddWorkersBusDispatcher().AddWorkersSweepService();

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
        bus.AddConsumer<TrackConsumer>(RetryConflicts).Endpoint(TrackEndpoint);
        bus.AddConsumer<TrackStartedConsumer>(TrackInBatches).Endpoint(TrackEndpoint);
        bus.AddConsumer<TrackHealthConsumer>(TrackInBatches).Endpoint(TrackEndpoint);
        bus.AddConsumer<InventoryConsumer>(RetryConflicts).Endpoint(e => e.Name = Queues.Inventory);
        bus.AddConsumer<DeleteConsumer>().Endpoint(e => e.Name = Queues.Delete);
        bus.AddConsumer<QueryConsumer>().Endpoint(e => e.Name = Queues.Query);
        bus.AddConsumer<SecretsConsumer>().Endpoint(e => e.Name = Queues.Query);
        bus.AddConsumer<HostKeysConsumer>().Endpoint(e => e.Name = Queues.Query);
        bus.AddConsumer<LogsConsumer>().Endpoint(e => e.Name = Queues.Query);
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

    /// <summary>The most results of one kind one Track batch takes.</summary>
    public const int TrackBatchSize = 16;

    private static void TrackEndpoint(IEndpointRegistrationConfigurator endpoint)
    {
        endpoint.Name = Queues.Track;
        endpoint.PrefetchCount = 4 * TrackBatchSize;
    }

    /// <summary>
    /// Started and healthy reports are tracked in batches of up to <see cref="TrackBatchSize"/>, two batches of each at
    /// once: a lone report waits at most 5 ms for company. A retry repeats the whole batch, which Track's moves allow
    /// (a state never moves backwards, and a repeat only publishes what is still in the outbox).
    /// </summary>
    private static void TrackInBatches<T>(IRegistrationContext context, IConsumerConfigurator<T> consumer)
        where T : class
    {
        RetryConflicts(context, consumer);
        consumer.Options<BatchOptions>(batch => batch
            .SetMessageLimit(TrackBatchSize)
            .SetTimeLimit(TimeSpan.FromMilliseconds(5))
            .SetConcurrencyLimit(2));
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
