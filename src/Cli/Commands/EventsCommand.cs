using System.CommandLine;
using System.Globalization;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

namespace Workers.Cli.Commands;

/// <summary><c>workers events [NAME] [--since 10m] [--limit N] [-f]</c>: what happened, oldest first, as <c>kubectl get events</c> shows it.</summary>
internal static class EventsCommand
{
    /// <summary>How often <c>--follow</c> asks for what is new.</summary>
    internal static readonly TimeSpan FollowInterval = TimeSpan.FromSeconds(1);

    public static Command Create(CliConsole console)
    {
        var name = new Argument<string?>("NAME") { Description = "Only this deployment's events (hosts' events are shown without a name).", Arity = ArgumentArity.ZeroOrOne }.RefusingOptions();
        var since = new Option<string?>("--since") { Description = "Only events this recent: a duration such as 10m or 2h." };
        var limit = new Option<int>("--limit") { Description = "At most this many (the newest), 1 to 1000.", DefaultValueFactory = _ => 100 };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing events as they happen, until Ctrl+C (exit 130)." };
        var format = CommonOptions.Format();
        var command = new Command("events", "Show what happened, oldest first: deployments accepted, rejected, rolled out, rolled back and deleted; replicas placed, started, healthy, unhealthy, failed, lost and orphaned; hosts joined, lost and back; each with its reason.")
        {
            name, since, limit, follow, format, ClusterCommands.ServerOption, ClusterCommands.BrokerOption, ClusterCommands.TimeoutOption,
        };
        command.SetAction(async (parsed, token) =>
        {
            var back = parsed.GetValue(since);
            Duration? window = null;
            if (back is not null && !Duration.TryParse(back, out window, out var error))
            {
                return await CommonOptions.FailAsync(console, parsed, ExitCodes.Usage, "usage", $"--since {back}: {error}", null);
            }

            var count = parsed.GetValue(limit);
            if (count is < 1 or > 1000)
            {
                return await CommonOptions.FailAsync(console, parsed, ExitCodes.Usage, "usage", $"--limit {count}: give a number from 1 to 1000", null);
            }

            var following = parsed.GetValue(follow);
            if (following && CommonOptions.FormatOf(parsed) == CommonOptions.YamlFormat)
            {
                return await CommonOptions.FailAsync(console, parsed, ExitCodes.Usage, "usage", "--follow writes text or JSON lines: use -o json (or no -o)", null);
            }

            return await ClusterRunner.ReadAsync(console, parsed, token, following, async (reads, cancellationToken) =>
            {
                var from = window is null ? (DateTimeOffset?)null : DateTimeOffset.UtcNow - window.Value;
                var reply = await reads.EventsAsync(parsed.GetValue(name), null, from, count, cancellationToken);
                var document = CommonOptions.WantsDocument(parsed);
                if (document && !following)
                {
                    await CommonOptions.WriteDocumentAsync(console, parsed, reply.Events, ClusterRenderer.Json);
                    return ExitCodes.Ok;
                }

                var last = await WriteAsync(console, reply.Events, document, header: true);
                while (following)
                {
                    await Task.Delay(FollowInterval, cancellationToken);
                    var newer = await reads.EventsAsync(parsed.GetValue(name), last, null, 1000, cancellationToken);
                    last = await WriteAsync(console, newer.Events, document, header: false) ?? last;
                }

                return ExitCodes.Ok;
            });
        });
        return command;
    }

    /// <summary>Writes the events (as JSON lines when following with <c>-o json</c>); the last sequence written, if any.</summary>
    private static async Task<long?> WriteAsync(CliConsole console, IReadOnlyList<WorkersEvent> events, bool document, bool header)
    {
        if (document)
        {
            foreach (var entry in events)
            {
                await console.Out.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(entry, ClusterRenderer.Json));
            }
        }
        else if (events.Count == 0 && header)
        {
            await console.Out.WriteLineAsync("no events");
        }
        else
        {
            foreach (var entry in events)
            {
                await console.Out.WriteLineAsync(Line(entry));
            }
        }

        await console.Out.FlushAsync();
        return events.Count == 0 ? null : events[^1].Sequence;
    }

    /// <summary>One event, one line: when, what, about whom, why.</summary>
    internal static string Line(WorkersEvent entry)
    {
        var subject = string.Join(' ', new[]
        {
            entry.Name is null ? null : entry.Revision is > 0 ? $"{entry.Name} r{entry.Revision}" : entry.Name,
            entry.Replica is { } index ? $"#{index}" : null,
            entry.HostId is null ? null : $"on {entry.HostId}",
        }.Where(p => p is not null));
        var at = entry.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        return $"{at}  {entry.Kind,-20} {subject}{(entry.Message.Length == 0 ? string.Empty : $": {entry.Message}")}";
    }
}
