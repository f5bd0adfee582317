using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Workers.HostAgent.Agent;
using Workers.Transport;

namespace Workers.HostAgent.Amqp;

/// <summary>Registers the agent's RabbitMQ transport without MassTransit.</summary>
public static class AmqpAgentRegistration
{
    /// <summary>
    /// The connection, <see cref="IAgentPublisher"/> and the pump of <c>host.&lt;id&gt;</c>: in place of
    /// <c>AddWorkersBus(…AddWorkersAgentConsumers, ConfigureAgentEndpoint)</c>, on the same topology and wire format.
    /// Call before <c>AddWorkersAgent</c>, as the bus is registered before the agent.
    /// </summary>
    public static IServiceCollection AddWorkersAgentAmqp(this IServiceCollection services, Broker broker, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(options);
        if (broker.IsInMemory)
        {
            throw new ArgumentException("the agent's AMQP transport needs a RabbitMQ broker, not the in-memory bus", nameof(broker));
        }

        services.TryAddSingleton(sp => new AmqpAgentConnection(broker, $"workers-agent {options.HostId.Value}", sp.GetRequiredService<ILogger<AmqpAgentConnection>>()));
        services.TryAddSingleton(sp => new AmqpAgentPublisher(sp.GetRequiredService<AmqpAgentConnection>(), options));
        services.RemoveAll<IAgentPublisher>();
        services.AddSingleton<IAgentPublisher>(sp => sp.GetRequiredService<AmqpAgentPublisher>());
        services.TryAddSingleton<AmqpCommandRouter>();
        services.TryAddSingleton(sp => new AgentCommandPump(
            sp.GetRequiredService<AmqpAgentConnection>(),
            sp.GetRequiredService<AmqpAgentPublisher>(),
            sp.GetRequiredService<AmqpCommandRouter>(),
            options,
            sp.GetRequiredService<ILogger<AgentCommandPump>>()));
        services.AddHostedService(sp => sp.GetRequiredService<AgentCommandPump>());
        return services;
    }
}
