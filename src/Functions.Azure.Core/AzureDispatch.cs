using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Workers.Functions.Bus;
using Workers.Functions.Handlers;
using Workers.Transport;
using Workers.Transport.ServiceBus;

namespace Workers.Functions.Azure;

/// <summary>The transport of the Azure Functions app, chosen by <c>WORKERS_BROKER</c> like everywhere else.</summary>
public static class AzureDispatch
{
    /// <summary>
    /// <c>servicebus://&lt;namespace&gt;.servicebus.windows.net/</c> (what infra/azure sets): Workers.Transport.ServiceBus's
    /// <see cref="IEffectsDispatcher"/> on the flow topic, and the function subscriptions consumed in-process (the
    /// Service Bus trigger extension is not available to this build). <c>rabbitmq://…</c>: MassTransit's dispatcher and
    /// the function consumers on RabbitMQ, as in src/Functions.Host. The periodic sweep is the timer function either way.
    /// </summary>
    public static IServiceCollection AddWorkersAzureTransport(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var broker = configuration["WORKERS_BROKER"];
        if (ServiceBusSettings.IsServiceBus(broker))
        {
            return services.AddWorkersServiceBus(configuration).AddWorkersServiceBusFunctions();
        }

        var rabbit = Broker.Parse(broker);
        if (rabbit.IsInMemory)
        {
            throw new InvalidOperationException("WORKERS_BROKER must name Service Bus (servicebus://<namespace>.servicebus.windows.net/) or RabbitMQ (rabbitmq://user:password@host:5672/): the in-memory bus does not reach outside one process");
        }

        services.AddWorkersBus(rabbit, bus => bus.AddWorkersFunctionConsumers(), (context, cfg) => cfg.ConfigureEndpoints(context));
        return services.AddWorkersBusDispatcher();
    }
}
