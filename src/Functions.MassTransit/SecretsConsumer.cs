using MassTransit;
using Workers.Contracts.Messages;
using Workers.Functions.Handlers;

namespace Workers.Functions.Bus;

/// <summary>The secrets requests, answered on the query queue beside the other requests a client makes.</summary>
public sealed class SecretsConsumer(SecretsHandler handler) : IConsumer<GetSealingKey>, IConsumer<SetSecret>, IConsumer<DeleteSecret>, IConsumer<ListSecrets>
{
    public async Task Consume(ConsumeContext<GetSealingKey> context) =>
        await context.RespondAsync(await handler.HandleAsync(context.Message, context.CancellationToken));

    public async Task Consume(ConsumeContext<SetSecret> context) =>
        await context.RespondAsync(await handler.HandleAsync(context.Message, context.CancellationToken));

    public async Task Consume(ConsumeContext<DeleteSecret> context) =>
        await context.RespondAsync(await handler.HandleAsync(context.Message, context.CancellationToken));

    public async Task Consume(ConsumeContext<ListSecrets> context) =>
        await context.RespondAsync(await handler.HandleAsync(context.Message, context.CancellationToken));
}
