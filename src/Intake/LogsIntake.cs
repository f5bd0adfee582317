using System.Globalization;
using Microsoft.AspNetCore.Http;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Handlers;

namespace Workers.Intake;

/// <summary>What <c>GET /api/deployments/{name}/logs</c> asks for, its query read and checked.</summary>
/// <param name="Name">The deployment.</param>
/// <param name="Replica">The replica's index, or null for the lowest-numbered running one.</param>
/// <param name="Tail">Only the last this many lines, or null for all.</param>
/// <param name="Since">Only lines at or after this moment, or null.</param>
/// <param name="After">Only lines after this cursor (a previous answer's), or null.</param>
/// <param name="Follow">Keep the response open and write lines as they come, until the container stops.</param>
/// <param name="Container">Only this container (an earlier answer's <c>containerId</c>), so that a caller reading on
/// with <paramref name="After"/> stays with the container it began with; or null for the replica's current one.</param>
public sealed record LogsRequest(string Name, int? Replica, int? Tail, DateTimeOffset? Since, string? After, bool Follow, string? Container = null);

/// <summary>
/// The logic of <c>GET /api/deployments/{name}/logs</c>: its query, one chunk asked through the host's
/// <see cref="IReplicaLogsReader"/>, and the answer's status. Where the host has no reader (its transport carries no
/// logs) every request is answered 501.
/// </summary>
public sealed class LogsIntake(IEnumerable<IReplicaLogsReader> readers, TimeProvider time)
{
    /// <summary>How often a follower asks for what is new.</summary>
    public static readonly TimeSpan FollowInterval = TimeSpan.FromSeconds(1);

    private readonly IReplicaLogsReader? _reader = readers.FirstOrDefault();

    /// <summary>The request, or the 400 that lists every parameter that is not one.</summary>
    public (LogsRequest? Request, IntakeResult? Refusal) Parse(string name, IReadOnlyDictionary<string, string?> query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var problems = new List<string>();
        if (!DnsLabel.TryParse(name, out var label, out var notAName))
        {
            problems.Add($"name: {notAName}");
        }

        int? replica = null, tail = null;
        DateTimeOffset? since = null;
        string? after = null, container = null;
        var follow = false;
        foreach (var (key, value) in query)
        {
            switch (key)
            {
                case "replica" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var index):
                    replica = index;
                    break;
                case "tail" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var lines) && lines is >= 1 and <= LogsHandler.MaxTail:
                    tail = lines;
                    break;
                case "since" when SinceParameter.TryParse(value, time.GetUtcNow(), out var moment):
                    since = moment;
                    break;
                case "after" when !string.IsNullOrEmpty(value):
                    after = value;
                    break;
                case "container" when value is { Length: >= 12 and <= 64 } && value.All(char.IsAsciiHexDigitLower):
                    container = value;
                    break;
                case "follow" when value is "true" or "false":
                    follow = value == "true";
                    break;
                case "replica":
                    problems.Add($"replica: '{value}' is not a replica's index (a whole number from 0)");
                    break;
                case "tail":
                    problems.Add($"tail: '{value}' is not a whole number from 1 to {LogsHandler.MaxTail}");
                    break;
                case "since":
                    problems.Add(SinceParameter.Problem(value));
                    break;
                case "after":
                    problems.Add("after: give a cursor an earlier answer returned");
                    break;
                case "container":
                    problems.Add($"container: '{value}' is not a container id (12 to 64 lowercase hex digits, as an earlier answer's containerId)");
                    break;
                case "follow":
                    problems.Add($"follow: '{value}' is neither true nor false");
                    break;
                default:
                    problems.Add($"'{key}' is not a parameter of /api/deployments/{{name}}/logs (replica, tail, since, after, container, follow)");
                    break;
            }
        }

        return problems.Count > 0
            ? (null, IntakeResult.Problem(StatusCodes.Status400BadRequest, string.Join("; ", problems)))
            : (new LogsRequest(label!.Value, replica, tail, since, after, follow, container), null);
    }

    /// <summary>
    /// One chunk; <paramref name="after"/> and <paramref name="containerId"/> read on from an earlier one (the request's
    /// own container when <paramref name="containerId"/> is null).
    /// </summary>
    public async Task<ReplicaLogsReply> ReadAsync(LogsRequest request, string? after, string? containerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var asked = new GetReplicaLogs(Guid.NewGuid(), Guid.NewGuid(), time.GetUtcNow(), request.Name, request.Replica, after is null ? request.Tail : null, after is null ? request.Since : null, after, containerId ?? request.Container);
        return _reader is null
            ? new ReplicaLogsReply(Guid.NewGuid(), asked.CorrelationId, time.GetUtcNow(), request.Name, request.Replica, null, null, [], after, false, false, LogsProblem.NotServed, "this host's transport carries no container logs")
            : await _reader.ReadAsync(asked, cancellationToken);
    }

    /// <summary>A chunk as the API answers it: 200 with the lines, or the problem with its status.</summary>
    public static IntakeResult Result(ReplicaLogsReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return reply.Problem is { } problem
            ? IntakeResult.Problem(Status(problem), reply.Error ?? problem.ToString())
            : new IntakeResult(StatusCodes.Status200OK, new { reply.Name, reply.Replica, reply.HostId, reply.ContainerId, reply.Lines, reply.Cursor, reply.More, reply.Running });
    }

    private static int Status(LogsProblem problem) => problem switch
    {
        LogsProblem.NotFound => StatusCodes.Status404NotFound,
        LogsProblem.Invalid => StatusCodes.Status400BadRequest,
        LogsProblem.HostUnavailable => StatusCodes.Status504GatewayTimeout,
        LogsProblem.NotServed => StatusCodes.Status501NotImplemented,
        _ => StatusCodes.Status502BadGateway,
    };
}
