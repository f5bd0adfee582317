using System.Security.Cryptography;
using System.Text;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Workers.Contracts.Messages;
using Workers.Transport;

namespace Workers.HostAgent.Agent;

/// <summary>The agent on MassTransit: the consumers of its own queue only, that queue's endpoint, and its publisher.</summary>
public static class AgentMassTransitRegistration
{
    /// <summary>The consumers, kept out of ConfigureEndpoints (they read only <c>host.&lt;id&gt;</c>), and <see cref="MassTransitAgentPublisher"/> as the agent's publisher.</summary>
    public static void AddWorkersAgentConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.TryAddScoped<IAgentPublisher, MassTransitAgentPublisher>();
        bus.AddConsumer<StartReplicasConsumer>().ExcludeFromConfigureEndpoints();
        bus.AddConsumer<StopReplicasConsumer>().ExcludeFromConfigureEndpoints();
        bus.AddConsumer<ReadContainerLogsConsumer>().ExcludeFromConfigureEndpoints();
    }

    /// <summary>
    /// The agent's own queue: commands are sent to it directly (no exchange binding, so no other host's commands can
    /// reach it); one deployment's commands one at a time, so that a stop sent after a start is carried out after it.
    /// </summary>
    public static void ConfigureAgentEndpoint(this IReceiveConfigurator<IReceiveEndpointConfigurator> cfg, IBusRegistrationContext context, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        ArgumentNullException.ThrowIfNull(options);
        cfg.ReceiveEndpoint(Queues.Host(options.HostId.Value), endpoint =>
        {
            // Commands of one deployment run one at a time and in order (a stop after the start it undoes, the
            // stale-revision check); different deployments' commands run side by side, so that one slow Docker call
            // (a stop waiting out its grace, a start on a busy engine) does not hold every later command past its
            // time to live.
            endpoint.ConfigureConsumeTopology = false;
            endpoint.PrefetchCount = 2 * AgentRegistration.CommandPartitions;
            endpoint.ConcurrentMessageLimit = AgentRegistration.CommandPartitions;
            var partitioner = endpoint.CreatePartitioner(AgentRegistration.CommandPartitions);
            endpoint.UsePartitioner<StartReplicas>(partitioner, c => PartitionKey(c.Message.Spec.Name.Value));
            endpoint.UsePartitioner<StopReplicas>(partitioner, c => PartitionKey(c.Message.Name));
            endpoint.ApplyWorkersEndpointPolicy();
            endpoint.ConfigureConsumer<StartReplicasConsumer>(context);
            endpoint.ConfigureConsumer<StopReplicasConsumer>(context);
            endpoint.ConfigureConsumer<ReadContainerLogsConsumer>(context);
        });
    }

    /// <summary>A deployment name as the partitioner's key: the same name, the same partition.</summary>
    private static Guid PartitionKey(string name) => new(SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, 16));
}
