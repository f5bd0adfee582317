using MassTransit;
using Workers.Functions.Handlers;
using Workers.Transport;

namespace Workers.Functions.Bus;

/// <summary>Carries out a handler's <see cref="Effects"/> on the bus.</summary>
internal static class EffectsExtensions
{
    public static async Task ApplyAsync(this ConsumeContext context, Effects effects)
    {
        foreach (var (hostId, command) in effects.Sent)
        {
            var endpoint = await context.GetSendEndpoint(Queues.HostAddress(context.ReceiveContext.InputAddress, hostId));
            await endpoint.Send(command, command.GetType(), context.CancellationToken);
        }

        foreach (var message in effects.Published)
        {
            await context.Publish(message, message.GetType(), context.CancellationToken);
        }
    }
}
