using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Workers.Functions.Handlers;
using Workers.Security;
using Workers.Transport;

namespace Workers.Functions.Bus;

/// <summary>Carries out a handler's <see cref="Effects"/> on the bus, from inside a consumer or from outside one.</summary>
internal static class EffectsExtensions
{
    public static Task ApplyAsync(this ConsumeContext context, Effects effects) =>
        ApplyAsync(context, context, context.ReceiveContext.InputAddress, context.GetPayload<IServiceProvider>().GetRequiredService<SigningKey>(), effects, context.CancellationToken);

    /// <summary>
    /// Sends the commands, each host's in order and the hosts side by side (each send waits for the broker's confirm,
    /// so one after another a ten-host plan would wait ten times), then publishes the events in order. Each waits at most
    /// <see cref="BrokerCalls.ConfirmTimeout"/>; past it the consumer fails and its message is retried or redelivered.
    /// Every command is signed with the control plane's key on its way out: agents act on nothing else.
    /// </summary>
    public static async Task ApplyAsync(ISendEndpointProvider sender, IPublishEndpoint publisher, Uri address, SigningKey key, Effects effects, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(effects);
        await Task.WhenAll(effects.Sent.GroupBy(s => s.HostId).Select(async host =>
        {
            var endpoint = await sender.GetSendEndpoint(Queues.HostAddress(address, host.Key));
            foreach (var command in host.Select(c => key.SignIfSigned(c.Command)))
            {
                await BrokerCalls.BoundedAsync(token => endpoint.Send(command, command.GetType(), token), BrokerCalls.ConfirmTimeout, cancellationToken);
            }
        }));

        foreach (var message in effects.Published)
        {
            await BrokerCalls.BoundedAsync(token => publisher.Publish(message, message.GetType(), token), BrokerCalls.ConfirmTimeout, cancellationToken);
        }

        await effects.CompleteAsync(cancellationToken);
    }
}
