using MassTransit;
using Workers.Contracts.Messages;
using Workers.Functions.Handlers;

namespace Workers.Functions.Bus;

/// <summary>Forgets or revokes a host's pinned agent keys (on the query queue).</summary>
public sealed class HostKeysConsumer(HostKeysHandler handler) : IConsumer<ForgetHost>
{
    public async Task Consume(ConsumeContext<ForgetHost> context) =>
        await context.RespondAsync(await handler.HandleAsync(context.Message, context.CancellationToken));
}
