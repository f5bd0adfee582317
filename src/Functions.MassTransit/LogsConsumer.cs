using MassTransit;
using Workers.Contracts.Messages;
using Workers.Functions.Handlers;
using Workers.Security;
using Workers.Transport;

namespace Workers.Functions.Bus;

/// <summary>
/// Logs on <c>workers.query</c>: asks the agent of the replica's host for one chunk (a signed request to its own queue,
/// answered to this function's bus endpoint) and hands the chunk on to whoever asked. The client never reaches a
/// host's queue; an agent that does not answer in time is answered for, saying what the store knows of its host.
/// </summary>
public sealed class LogsConsumer(LogsHandler handler, SigningKey key, IClientFactory clients) : IConsumer<GetReplicaLogs>
{
    public async Task Consume(ConsumeContext<GetReplicaLogs> context)
    {
        var (command, answer) = await handler.RouteAsync(context.Message, context.CancellationToken);
        if (command is null)
        {
            await context.RespondAsync(answer!);
            return;
        }

        var client = clients.CreateRequestClient<ReadContainerLogs>(context, Queues.HostAddress(context.ReceiveContext.InputAddress, command.HostId), RequestTimeout.After(ms: (int)LogsHandler.AgentTimeout.TotalMilliseconds));
        try
        {
            var chunk = await client.GetResponse<ReplicaLogsReply>(
                key.Sign(command), send => send.TimeToLive = LogsHandler.AgentTimeout, context.CancellationToken);
            await context.RespondAsync(chunk.Message);
        }
        catch (RequestTimeoutException)
        {
            await context.RespondAsync(await handler.UnansweredAsync(context.Message, command, context.CancellationToken));
        }
        catch (RequestFaultException fault)
        {
            await context.RespondAsync(handler.Unreadable(context.Message, command, string.Join("; ", fault.Fault?.Exceptions.Select(e => e.Message) ?? [fault.Message])));
        }
    }
}
