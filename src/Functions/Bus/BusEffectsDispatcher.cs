using MassTransit;
using Workers.Functions.Handlers;
using Workers.Transport;

namespace Workers.Functions.Bus;

/// <summary>Dispatches effects from outside a consumer through the MassTransit bus.</summary>
public sealed class BusEffectsDispatcher(IBus bus) : IEffectsDispatcher
{
    public async Task DispatchAsync(Effects effects, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(effects);
        foreach (var (hostId, command) in effects.Sent)
        {
            var endpoint = await bus.GetSendEndpoint(Queues.HostAddress(bus.Address, hostId));
            await endpoint.Send(command, command.GetType(), cancellationToken);
        }

        foreach (var message in effects.Published)
        {
            await bus.Publish(message, message.GetType(), cancellationToken);
        }
    }
}
