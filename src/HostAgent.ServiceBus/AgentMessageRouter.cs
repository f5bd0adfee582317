using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.DependencyInjection;
using Workers.HostAgent.Agent;
using Workers.Transport.ServiceBus;

namespace Workers.HostAgent.ServiceBus;

/// <summary>
/// The agent's <see cref="MessageHandler"/> on its subscription: each command to the <see cref="ReplicaCommandHandler"/>
/// in a fresh scope, each result published as soon as it is known (bounded like the MassTransit consumers' publishes).
/// The Service Bus twin of the agent's MassTransit consumers. A publish that fails fails the message, which the pump
/// hands back for another delivery; the handler is idempotent, so the command is carried out again harmlessly.
/// </summary>
public sealed class AgentMessageRouter(IServiceScopeFactory scopes)
{
    public async Task HandleAsync(object message, ServiceBusReceivedMessage received, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        if (!await AgentCommands.TryRunAsync(services, message, cancellationToken))
        {
            // ReadContainerLogs among them: the functions on Service Bus answer a logs request themselves, saying it
            // is not served there, and never send one to a host. The pump dead-letters it (NoHandler).
            throw new MessageNotHandledException(message.GetType());
        }
    }
}
