using Workers.Contracts.Messages;

namespace Workers.Functions.Handlers;

/// <summary>
/// Asks for one chunk of a replica's logs over the host's transport (a request to <c>workers.query</c>, answered by
/// <see cref="LogsHandler"/> and the replica's agent): what the HTTP intake reads logs through.
/// </summary>
public interface IReplicaLogsReader
{
    Task<ReplicaLogsReply> ReadAsync(GetReplicaLogs request, CancellationToken cancellationToken);
}
