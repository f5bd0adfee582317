using Microsoft.Extensions.Options;
using Workers.Contracts.Messages;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>
/// Logs: finds the replica a <see cref="GetReplicaLogs"/> names and the host that runs it, and makes the command its
/// agent answers; or answers at once when there is nothing to ask (no such deployment, replica or container).
/// </summary>
public sealed class LogsHandler(IDeploymentStore store, TimeProvider time, IOptions<FunctionsOptions> options)
{
    /// <summary>
    /// How long the functions wait for an agent's chunk: reading one is a few milliseconds of Docker, so an agent that
    /// has not answered by then is down, cut off from the broker, or stuck behind its own queue.
    /// </summary>
    public static readonly TimeSpan AgentTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The most lines a tail may ask for.</summary>
    public const int MaxTail = 10_000;

    /// <summary>The command for the replica's agent (unsigned), or the answer when there is none to send.</summary>
    public async Task<(ReadContainerLogs? Command, ReplicaLogsReply? Answer)> RouteAsync(GetReplicaLogs query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Tail is < 1 or > MaxTail)
        {
            return (null, Refused(query, LogsProblem.Invalid, $"a tail of {query.Tail} lines: give 1 to {MaxTail}"));
        }

        if ((await store.GetCurrentRevisionsAsync(query.Name, cancellationToken)).FirstOrDefault() is not { } revision)
        {
            return (null, Refused(query, LogsProblem.NotFound, $"there is no deployment named '{query.Name}'"));
        }

        var replicas = QueryHandler.CurrentView(revision, await store.GetReplicasAsync(revision.DeploymentId, cancellationToken));
        if (query.ContainerId is { } wantedContainer)
        {
            // A follower stays with its container, wherever the name's revisions have moved on to.
            ReplicaRecord? pinned = null;
            foreach (var live in await store.GetLiveRevisionsAsync(query.Name, cancellationToken))
            {
                pinned ??= (await store.GetReplicasAsync(live.DeploymentId, cancellationToken)).FirstOrDefault(r => r.ContainerId == wantedContainer);
            }

            if (pinned is null)
            {
                return (null, Refused(query, LogsProblem.NotFound, $"container {ContainerIds.Short(wantedContainer)} no longer runs a replica of {query.Name}"));
            }

            replicas = [pinned];
        }

        var chosen = query.Replica is { } index
            ? replicas.Where(r => r.Index == index).OrderByDescending(r => r.State == ReplicaState.Running).ThenByDescending(r => r.UpdatedAt).FirstOrDefault()
            : replicas.Where(r => r.ContainerId is not null).OrderByDescending(r => r.State == ReplicaState.Running).ThenBy(r => r.Index).FirstOrDefault();
        if (chosen is null)
        {
            return (null, Refused(query, LogsProblem.NotFound, query.Replica is { } wanted
                ? $"{query.Name} r{revision.Revision} has no replica {wanted} (it has {(replicas.Count == 0 ? "none" : string.Join(", ", replicas.Select(r => r.Index).Distinct()))})"
                : $"no replica of {query.Name} r{revision.Revision} has a container yet"));
        }

        if (chosen.ContainerId is not { } container)
        {
            return (null, Refused(query, LogsProblem.NotFound, $"replica {chosen.Index} of {query.Name} has no container yet ({chosen.State.ToString().ToLowerInvariant()} on {chosen.HostId})", chosen));
        }

        var now = time.GetUtcNow();
        return (new ReadContainerLogs(
            Guid.NewGuid(), query.CorrelationId, now, chosen.HostId, query.Name, chosen.Revision, chosen.Index, container,
            query.After is null ? query.Tail : null, query.Since, query.After, now + AgentTimeout), null);
    }

    /// <summary>The answer when the agent did not answer within <see cref="AgentTimeout"/>, saying what the store knows of its host.</summary>
    public async Task<ReplicaLogsReply> UnansweredAsync(GetReplicaLogs query, ReadContainerLogs command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(command);
        var now = time.GetUtcNow();
        var hosts = await store.GetHostsAsync(cancellationToken);
        var host = hosts.FirstOrDefault(h => h.Heartbeat.HostId == command.HostId);
        var known = host is null
            ? "it has never sent a heartbeat"
            : HostLiveness.Of(hosts, now, options.Value.HostTimeout).IsAlive(host)
                ? $"its last heartbeat came {Seconds(now - host.ReceivedAt)} ago"
                : $"it is down: its last heartbeat came {Seconds(now - host.ReceivedAt)} ago";
        return new ReplicaLogsReply(Guid.NewGuid(), query.CorrelationId, now, query.Name, command.Replica, command.HostId, command.ContainerId, [], query.After, false, false,
            LogsProblem.HostUnavailable, $"host {command.HostId}, which runs replica {command.Replica} of {query.Name}, did not answer within {Seconds(AgentTimeout)} ({known})");
    }

    /// <summary>The answer when the agent's consumer failed: the engine's words, as the fault carried them.</summary>
    public ReplicaLogsReply Unreadable(GetReplicaLogs query, ReadContainerLogs command, string reason)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(command);
        return new ReplicaLogsReply(Guid.NewGuid(), query.CorrelationId, time.GetUtcNow(), query.Name, command.Replica, command.HostId, command.ContainerId, [], query.After, false, false,
            LogsProblem.Unreadable, $"host {command.HostId} could not read the logs of replica {command.Replica} of {query.Name}: {reason}");
    }

    /// <summary>The answer where the transport carries no logs (Service Bus), so that the request is answered rather than left to time out.</summary>
    public ReplicaLogsReply NotServed(GetReplicaLogs query, string transport)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Refused(query, LogsProblem.NotServed, $"container logs are not carried over {transport}; on RabbitMQ or the embedded default they are, or read them with docker logs on the host");
    }

    private ReplicaLogsReply Refused(GetReplicaLogs query, LogsProblem problem, string error, ReplicaRecord? replica = null) =>
        new(Guid.NewGuid(), query.CorrelationId, time.GetUtcNow(), query.Name, replica?.Index ?? query.Replica, replica?.HostId, replica?.ContainerId ?? query.ContainerId, [], query.After, false, false, problem, error);

    private static string Seconds(TimeSpan span) => $"{Math.Max(0, span.TotalSeconds):0}s";
}
