using Microsoft.Extensions.DependencyInjection;
using Workers.Contracts.Messages;
using Workers.HostAgent.Agent;
using Workers.Telemetry;
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
        var publisher = services.GetRequiredService<IAgentPublisher>();
        switch (message)
        {
            case StartReplicas start:
                await Measured.RunAsync("start", () => services.GetRequiredService<ReplicaCommandHandler>().HandleAsync(start, PublishAsync, cancellationToken));
                break;
            case StopReplicas stop:
                await Measured.RunAsync("stop", async () =>
                {
                    foreach (var result in await services.GetRequiredService<ReplicaCommandHandler>().HandleAsync(stop, cancellationToken))
                    {
                        await PublishAsync(result);
                    }
                });
                break;
            case ReadContainerLogs read:
                if (await services.GetRequiredService<ContainerLogsHandler>().HandleAsync(read, cancellationToken) is { } reply)
                {
                    await BrokerCalls.BoundedAsync(token => responder.RespondAsync(envelope, reply, token), BrokerCalls.ConfirmTimeout, cancellationToken);
                }

                break;
            default:
                throw new ArgumentException($"{message.GetType().Name} is not a command of the agent", nameof(message));
        }

        Task PublishAsync(object result) =>
            BrokerCalls.BoundedAsync(token => publisher.PublishAsync(result, token), BrokerCalls.ConfirmTimeout, cancellationToken);
    }
}
