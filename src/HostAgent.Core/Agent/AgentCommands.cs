using Workers.Contracts.Messages;
using Workers.Telemetry;
using Workers.Transport;

namespace Workers.HostAgent.Agent;

/// <summary>
/// A start or a stop carried out in a scope of the agent, each result published as soon as it is known (bounded by
/// <see cref="BrokerCalls.ConfirmTimeout"/>): what every transport's router does with a host command.
/// </summary>
public static class AgentCommands
{
    /// <summary>Carries out <paramref name="message"/>; false when it is neither a start nor a stop.</summary>
    public static async Task<bool> TryRunAsync(IServiceProvider services, object message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        var publisher = services.GetRequiredService<IAgentPublisher>();
        switch (message)
        {
            case StartReplicas start:
                await Measured.RunAsync("start", () => services.GetRequiredService<ReplicaCommandHandler>().HandleAsync(start, PublishAsync, cancellationToken));
                return true;
            case StopReplicas stop:
                await Measured.RunAsync("stop", async () =>
                {
                    foreach (var result in await services.GetRequiredService<ReplicaCommandHandler>().HandleAsync(stop, cancellationToken))
                    {
                        await PublishAsync(result);
                    }
                });
                return true;
            default:
                return false;
        }

        Task PublishAsync(object result) =>
            BrokerCalls.BoundedAsync(token => publisher.PublishAsync(result, token), BrokerCalls.ConfirmTimeout, cancellationToken);
    }
}
