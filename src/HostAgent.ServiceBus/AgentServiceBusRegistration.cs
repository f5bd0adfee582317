using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Workers.HostAgent.Agent;
using Workers.Transport.ServiceBus;

namespace Workers.HostAgent.ServiceBus;

/// <summary>Registers the agent's Service Bus transport: its own subscription consumed, its messages published to the topic.</summary>
public static class AgentServiceBusRegistration
{
    /// <summary>
    /// The client, the pump, <see cref="IAgentPublisher"/> on the flow topic, and the one subscription this agent reads,
    /// <c>host.&lt;id&gt;</c> (whose filter on <c>hostId</c> lets no other host's commands in), one message at a time.
    /// Call before <c>AddWorkersAgent</c>, as the bus is registered before the agent on RabbitMQ.
    /// </summary>
    /// <remarks>
    /// One at a time, because without sessions Service Bus keeps no order between the deliveries of concurrent calls:
    /// a stop must not overtake the start it undoes. RabbitMQ's queue runs eight deployments side by side instead.
    /// </remarks>
    public static IServiceCollection AddWorkersAgentServiceBus(this IServiceCollection services, ServiceBusSettings settings, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddWorkersServiceBusClient(settings);
        services.TryAddSingleton<ServiceBusAgentPublisher>();
        services.RemoveAll<IAgentPublisher>();
        services.AddSingleton<IAgentPublisher>(sp => sp.GetRequiredService<ServiceBusAgentPublisher>());
        services.TryAddSingleton<AgentMessageRouter>();
        return services.AddWorkersServiceBusSubscription(
            ServiceBusTopology.HostSubscription(options.HostId.Value),
            sp => sp.GetRequiredService<AgentMessageRouter>().HandleAsync,
            maxConcurrentCalls: 1);
    }
}
