using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.DependencyInjection;
using Workers.Contracts.Messages;
using Workers.Functions.Handlers;

namespace Workers.Transport.ServiceBus;

/// <summary>
/// The functions' <see cref="MessageHandler"/>: hands each message to its pure handler in a fresh scope and carries out
/// what the handler returns (effects on the topic, a reply to a query). The Service Bus twin of the MassTransit consumers.
/// </summary>
public sealed class FunctionsMessageRouter(IServiceScopeFactory scopes, ServiceBusEffectsDispatcher dispatcher)
{
    public async Task HandleAsync(object message, ServiceBusReceivedMessage received, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        switch (message)
        {
            case DeploymentRequested m:
                await DispatchAsync(services.GetRequiredService<ValidateHandler>().HandleAsync(m, cancellationToken));
                break;
            case DeploymentAccepted m:
                await DispatchAsync(services.GetRequiredService<PlanHandler>().HandleAsync(m, cancellationToken));
                break;
            case ReplicaStarted m:
                await DispatchAsync(services.GetRequiredService<AgentSenders>().AcceptAsync(m, services.GetRequiredService<TrackHandler>().HandleAsync, cancellationToken));
                break;
            case ReplicaFailed m:
                await DispatchAsync(services.GetRequiredService<AgentSenders>().AcceptAsync(m, services.GetRequiredService<TrackHandler>().HandleAsync, cancellationToken));
                break;
            case ReplicaStopped m:
                await DispatchAsync(services.GetRequiredService<AgentSenders>().AcceptAsync(m, services.GetRequiredService<TrackHandler>().HandleAsync, cancellationToken));
                break;
            case ReplicaHealthChanged m:
                await DispatchAsync(services.GetRequiredService<AgentSenders>().AcceptAsync(m, services.GetRequiredService<TrackHandler>().HandleAsync, cancellationToken));
                break;
            case DeleteDeployment m:
                await DispatchAsync(services.GetRequiredService<DeleteHandler>().HandleAsync(m, cancellationToken));
                break;
            case HostHeartbeat m:
                await DispatchAsync(services.GetRequiredService<AgentSenders>().AcceptAsync(m, services.GetRequiredService<InventoryHandler>().HandleAsync, cancellationToken));
                break;
            case GetDeploymentStatus m:
                await dispatcher.ReplyAsync(await services.GetRequiredService<QueryHandler>().HandleAsync(m, cancellationToken), received, cancellationToken);
                break;
            case GetHosts m:
                await dispatcher.ReplyAsync(await services.GetRequiredService<QueryHandler>().HandleAsync(m, cancellationToken), received, cancellationToken);
                break;
            case GetEvents m:
                await dispatcher.ReplyAsync(await services.GetRequiredService<QueryHandler>().HandleAsync(m, cancellationToken), received, cancellationToken);
                break;
            case GetReplicaLogs m:
                // The agents' side of logs is a request to a host's queue, which this adapter does not carry: answered, not left to time out.
                await dispatcher.ReplyAsync(services.GetRequiredService<LogsHandler>().NotServed(m, "Azure Service Bus"), received, cancellationToken);
                break;
            case GetDeploymentHistory m:
                await dispatcher.ReplyAsync(await services.GetRequiredService<QueryHandler>().HandleAsync(m, cancellationToken), received, cancellationToken);
                break;
            case PlanDeployment m:
                await dispatcher.ReplyAsync(await services.GetRequiredService<DryRunHandler>().HandleAsync(m, cancellationToken), received, cancellationToken);
                break;
            case GetSealingKey m:
                await dispatcher.ReplyAsync(await services.GetRequiredService<SecretsHandler>().HandleAsync(m, cancellationToken), received, cancellationToken);
                break;
            case SetSecret m:
                await dispatcher.ReplyAsync(await services.GetRequiredService<SecretsHandler>().HandleAsync(m, cancellationToken), received, cancellationToken);
                break;
            case DeleteSecret m:
                await dispatcher.ReplyAsync(await services.GetRequiredService<SecretsHandler>().HandleAsync(m, cancellationToken), received, cancellationToken);
                break;
            case ForgetHost m:
                await dispatcher.ReplyAsync(await services.GetRequiredService<HostKeysHandler>().HandleAsync(m, cancellationToken), received, cancellationToken);
                break;
            case ListSecrets m:
                await dispatcher.ReplyAsync(await services.GetRequiredService<SecretsHandler>().HandleAsync(m, cancellationToken), received, cancellationToken);
                break;
            default:
                throw new MessageNotHandledException(message.GetType());
        }

        async Task DispatchAsync(Task<Effects> effects) => await dispatcher.DispatchAsync(await effects, cancellationToken);
    }
}
