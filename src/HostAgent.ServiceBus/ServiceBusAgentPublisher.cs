using Azure.Messaging.ServiceBus;
using Workers.HostAgent.Agent;
using Workers.Transport.ServiceBus;

namespace Workers.HostAgent.ServiceBus;

/// <summary>
/// The agent's publisher on Service Bus: each message to the flow topic in the transport's envelope, where the function
/// subscriptions select it by its <c>messageType</c>. No <c>hostId</c>: what an agent publishes is for the functions,
/// never a command to a host.
/// </summary>
public sealed class ServiceBusAgentPublisher(ServiceBusClient client, ServiceBusSettings settings) : IAgentPublisher, IAsyncDisposable
{
    private readonly Lazy<ServiceBusSender> _topic = new(() => client.CreateSender(settings.Topic));

    public Task PublishAsync(object message, CancellationToken cancellationToken) =>
        _topic.Value.SendMessageAsync(ServiceBusEnvelope.Create(message), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_topic.IsValueCreated)
        {
            await _topic.Value.DisposeAsync();
        }
    }
}
