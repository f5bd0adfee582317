using MassTransit;
using Workers.Contracts.Messages;
using Workers.Telemetry;
using Workers.Transport;

namespace Workers.HostAgent.Agent;

// The agent's MassTransit consumers: each hands its command to the ReplicaCommandHandler and publishes what it returns,
// inside a span (the parent of the Docker calls' spans and of the results' publishes) and a handler duration.

public sealed class StartReplicasConsumer(ReplicaCommandHandler handler) : IConsumer<StartReplicas>
{
    public Task Consume(ConsumeContext<StartReplicas> context) =>
        Measured.RunAsync("start", () => handler.HandleAsync(context.Message, result => context.PublishResultAsync(result), context.CancellationToken));
}

public sealed class StopReplicasConsumer(ReplicaCommandHandler handler) : IConsumer<StopReplicas>
{
    public Task Consume(ConsumeContext<StopReplicas> context) => Measured.RunAsync("stop", async () =>
    {
        foreach (var result in await handler.HandleAsync(context.Message, context.CancellationToken))
        {
            await context.PublishResultAsync(result);
        }
    });
}

/// <summary>A logs request from the functions: answered with one chunk, or not at all when it is forged or expired.</summary>
public sealed class ReadContainerLogsConsumer(ContainerLogsHandler handler) : IConsumer<ReadContainerLogs>
{
    public async Task Consume(ConsumeContext<ReadContainerLogs> context)
    {
        if (await handler.HandleAsync(context.Message, context.CancellationToken) is { } reply)
        {
            await context.RespondAsync(reply);
        }
    }
}

internal static class ResultPublishing
{
    /// <summary>
    /// A result, published within <see cref="BrokerCalls.ConfirmTimeout"/>: a deployment's commands are consumed one at
    /// a time, so a confirm that never came would stop every later command of that deployment on this host.
    /// </summary>
    public static Task PublishResultAsync(this ConsumeContext context, object result) =>
        BrokerCalls.BoundedAsync(token => context.Publish(result, result.GetType(), token), BrokerCalls.ConfirmTimeout, context.CancellationToken);
}
