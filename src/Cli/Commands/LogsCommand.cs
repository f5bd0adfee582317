using System.CommandLine;
using System.Globalization;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

namespace Workers.Cli.Commands;

/// <summary>
/// <c>workers logs NAME [--replica N] [--tail 100] [--since 10m] [-f] [--timestamps]</c>: a replica's container logs, as
/// <c>docker logs</c> writes them (stdout to standard output, stderr to standard error), read from the agent of the host
/// that runs it one bounded chunk at a time; <c>-f</c> asks on after the last line each second until the container stops.
/// </summary>
internal static class LogsCommand
{
    /// <summary>How often <c>--follow</c> asks for what is new.</summary>
    internal static readonly TimeSpan FollowInterval = TimeSpan.FromSeconds(1);

    public static Command Create(CliConsole console)
    {
        var name = new Argument<string>("NAME") { Description = "The deployment." }.RefusingOptions();
        var replica = new Option<int?>("--replica") { Description = "The replica's index (workers status shows them); default: the lowest-numbered running one." };
        var tail = new Option<int?>("--tail") { Description = "Only the last N lines, 1 to 10000 (default: all)." };
        var since = new Option<string?>("--since") { Description = "Only lines this recent: a duration such as 10m or 2h." };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing lines as they come, until the container stops or Ctrl+C (exit 130)." };
        var timestamps = new Option<bool>("--timestamps") { Description = "Begin each line with when it was written (RFC 3339, UTC)." };
        var command = new Command("logs", "Print a replica's container logs, read by the agent of the host that runs it.")
        {
            name, replica, tail, since, follow, timestamps, ClusterCommands.ServerOption, ClusterCommands.BrokerOption, ClusterCommands.TimeoutOption,
        };
        command.SetAction(async (parsed, token) =>
        {
            var back = parsed.GetValue(since);
            Duration? window = null;
            if (back is not null && !Duration.TryParse(back, out window, out var error))
            {
                return await CommonOptions.FailAsync(console, parsed, ExitCodes.Usage, "usage", $"--since {back}: {error}", null);
            }

            if (parsed.GetValue(tail) is { } lines and (< 1 or > 10_000))
            {
                return await CommonOptions.FailAsync(console, parsed, ExitCodes.Usage, "usage", $"--tail {lines}: give a number from 1 to 10000", null);
            }

            if (parsed.GetValue(replica) is < 0)
            {
                return await CommonOptions.FailAsync(console, parsed, ExitCodes.Usage, "usage", $"--replica {parsed.GetValue(replica)}: replicas are numbered from 0", null);
            }

            var following = parsed.GetValue(follow);
            return await ClusterRunner.RunAsync(console, parsed, token, async (client, _, cancellationToken) =>
            {
                var from = window is null ? (DateTimeOffset?)null : DateTimeOffset.UtcNow - window.Value;
                var reply = await client.LogsAsync(parsed.GetValue(name)!, parsed.GetValue(replica), parsed.GetValue(tail), from, null, null, cancellationToken);
                if (reply.Problem is { } problem)
                {
                    return await FailAsync(console, parsed, problem, reply.Error);
                }

                while (true)
                {
                    await WriteAsync(console, reply.Lines, parsed.GetValue(timestamps));
                    if (!reply.More && (!following || !reply.Running))
                    {
                        return ExitCodes.Ok;
                    }

                    if (!reply.More)
                    {
                        await Task.Delay(FollowInterval, cancellationToken);
                    }

                    var next = await client.LogsAsync(reply.Name, reply.Replica, null, reply.Cursor is null ? from : null, reply.Cursor, reply.ContainerId, cancellationToken);
                    if (next.Problem == LogsProblem.NotFound && following)
                    {
                        // The container was removed while followed: its logs went with it, and the follow is over.
                        return ExitCodes.Ok;
                    }

                    if (next.Problem is { } later)
                    {
                        return await FailAsync(console, parsed, later, next.Error);
                    }

                    reply = next;
                }
            }, watch: following);
        });
        return command;
    }

    private static Task<int> FailAsync(CliConsole console, ParseResult parsed, LogsProblem problem, string? error) =>
        problem is LogsProblem.NotFound or LogsProblem.Invalid
            ? CommonOptions.FailAsync(console, parsed, ExitCodes.Failed, problem == LogsProblem.NotFound ? "logs.not-found" : "logs.invalid", error ?? "not found")
            : CommonOptions.FailAsync(console, parsed, ExitCodes.Unavailable, problem switch
            {
                LogsProblem.HostUnavailable => "host.unavailable",
                LogsProblem.NotServed => "logs.not-served",
                _ => "logs.unreadable",
            }, error ?? "the logs could not be read");

    private static async Task WriteAsync(CliConsole console, IReadOnlyList<LogLine> lines, bool timestamps)
    {
        foreach (var line in lines)
        {
            var writer = line.Stream == "stderr" ? console.Error : console.Out;
            await writer.WriteLineAsync(timestamps ? $"{line.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)} {line.Text}" : line.Text);
        }

        await console.Out.FlushAsync();
        await console.Error.FlushAsync();
    }
}
