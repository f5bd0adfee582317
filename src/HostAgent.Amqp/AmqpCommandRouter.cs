using Microsoft.Extensions.DependencyInjection;
using Workers.Contracts.Messages;
using Workers.HostAgent.Agent;
using Workers.Transport;

namespace Workers.HostAgent.Amqp;

/// <summary>
/// A command from <c>host.&lt;id&gt;</c> to its handler in a fresh scope, each result published as soon as it is known
/// and a logs request answered to its asker (all bounded like the MassTransit consumers' publishes). The twin of the
/// agent's MassTransit consumers; a failure propagates, for the pump's retries and error queue.
/// </summary>
public sealed class AmqpCommandRouter(IServiceScopeFactory scopes, AmqpAgentPublisher responder)
{
    public async Task HandleAsync(object message, MessageEnvelope envelope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        if (await AgentCommands.TryRunAsync(services, message, cancellationToken))
        {
            return;
        }

        if (message is not ReadContainerLogs read)
        {
            throw new ArgumentException($"{message.GetType().Name} is not a command of the agent", nameof(message));
        }

        if (await services.GetRequiredService<ContainerLogsHandler>().HandleAsync(read, cancellationToken) is { } reply)
        {
            await BrokerCalls.BoundedAsync(token => responder.RespondAsync(envelope, reply, token), BrokerCalls.ConfirmTimeout, cancellationToken);
        }
    }
}
