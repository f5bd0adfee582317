using MassTransit;

namespace Workers.HostAgent.Agent;

/// <summary>The agent's publisher on MassTransit (RabbitMQ or in memory): the scope's publish endpoint, by the message's own type.</summary>
public sealed class MassTransitAgentPublisher(IPublishEndpoint endpoint) : IAgentPublisher
{
    public Task PublishAsync(object message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return endpoint.Publish(message, message.GetType(), cancellationToken);
    }
}
