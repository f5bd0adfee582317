using System.Globalization;
using Workers.Contracts.Messages;
using Workers.HostAgent.Runtime;

namespace Workers.HostAgent.Agent;

/// <summary>
/// Reads one bounded chunk of a replica's container logs for the functions. Only a command the control plane signed for
/// this host is answered, and only about a container this agent runs for that deployment and replica (found by its
/// labels): the logs endpoint of the engine is not open to whatever a request names.
/// </summary>
public sealed class ContainerLogsHandler(IContainerRuntime runtime, AgentOptions options, TimeProvider time, ILogger<ContainerLogsHandler> logger)
{
    /// <summary>The chunk, or null when nothing may be answered (a forged or expired command).</summary>
    public async Task<ReplicaLogsReply?> HandleAsync(ReadContainerLogs command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var refusal = options.ControlKeys.Refusal(command)
            ?? (command.HostId != options.HostId.Value ? $"it is addressed to host {command.HostId}, not {options.HostId}" : null);
        if (refusal is not null)
        {
            AgentLog.CommandRefused(logger, nameof(ReadContainerLogs), command.Name, command.Revision, refusal);
            return null;
        }

        if (time.GetUtcNow() > command.ExpiresAt)
        {
            AgentLog.LogsRequestExpired(logger, command.Name, command.Replica, command.ExpiresAt);
            return null;
        }

        LogCursor? after = null;
        if (command.After is not null && !LogCursor.TryParse(command.After, out after))
        {
            return Reply(command, [], null, false, false, LogsProblem.Invalid, $"'{command.After}' is not a cursor a reply gave");
        }

        if (command.Tail is < 1 or > 10_000)
        {
            return Reply(command, [], null, false, false, LogsProblem.Invalid, $"a tail of {command.Tail} lines: give 1 to 10000");
        }

        var mine = await runtime.ListAsync(
            new Dictionary<string, string>
            {
                [ContainerLabels.Deployment] = command.Name,
                [ContainerLabels.Host] = options.HostId.Value,
                [ContainerLabels.Replica] = command.Replica.ToString(CultureInfo.InvariantCulture),
            },
            cancellationToken);
        var logs = mine.FirstOrDefault(c => c.Id.StartsWith(command.ContainerId, StringComparison.Ordinal)) is { } container
            ? await runtime.ReadLogsAsync(container.Id, new LogsRead(command.Tail, command.Since, after, ReplicaLogsReply.MaxLines, ReplicaLogsReply.MaxBytes), cancellationToken)
            : null;
        return logs is null
            ? Reply(command, [], null, false, false, LogsProblem.NotFound, $"replica {command.Replica} of {command.Name} has no container {ContainerIds.Short(command.ContainerId)} on host {options.HostId} (it was removed)")
            : Reply(command, logs.Lines, logs.Cursor?.ToString(), logs.More, logs.Running, null, null);
    }

    private ReplicaLogsReply Reply(ReadContainerLogs command, IReadOnlyList<LogLine> lines, string? cursor, bool more, bool running, LogsProblem? problem, string? error) =>
        new(Guid.NewGuid(), command.CorrelationId, time.GetUtcNow(), command.Name, command.Replica, options.HostId.Value, command.ContainerId, lines, cursor ?? command.After, more, running, problem, error);
}
