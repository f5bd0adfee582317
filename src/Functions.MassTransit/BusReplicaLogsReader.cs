using MassTransit;
using Workers.Contracts.Messages;
using Workers.Functions.Handlers;

namespace Workers.Functions.Bus;

/// <summary><see cref="IReplicaLogsReader"/> on MassTransit: a request the logs function answers, as the CLI's is.</summary>
public sealed class BusReplicaLogsReader(IBus bus) : IReplicaLogsReader
{
    /// <summary>The agent's own deadline, and time for the two hops around it.</summary>
    private static readonly TimeSpan Timeout = LogsHandler.AgentTimeout + TimeSpan.FromSeconds(5);

    public async Task<ReplicaLogsReply> ReadAsync(GetReplicaLogs request, CancellationToken cancellationToken)
    {
        var client = bus.CreateRequestClient<GetReplicaLogs>(RequestTimeout.After(ms: (int)Timeout.TotalMilliseconds));
        return (await client.GetResponse<ReplicaLogsReply>(request, cancellationToken)).Message;
    }
}
