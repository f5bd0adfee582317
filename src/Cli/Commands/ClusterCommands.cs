using System.CommandLine;

namespace Workers.Cli.Commands;

/// <summary>
/// The commands that talk to the pipeline (<c>deploy</c>, <c>plan</c>, <c>status</c>, <c>hosts</c>, <c>delete</c>,
/// <c>history</c>, <c>events</c>, <c>logs</c>, <c>rollback</c>), one file each; <see cref="ClusterRunner"/> connects them and
/// <see cref="ClusterRenderer"/> writes what they answer.
/// </summary>
internal static class ClusterCommands
{
    internal static readonly Option<string?> BrokerOption = new("--broker")
    {
        Description = "The broker, as rabbitmq://user:password@host:5672/ (default: WORKERS_BROKER, else the current context; none runs the embedded default).",
    };

    internal static readonly Option<string?> ServerOption = new("--server")
    {
        Description = "A Workers server's HTTP API, as http://host:8080, with the token in WORKERS_TOKEN (default: WORKERS_SERVER, else the current context).",
    };

    /// <summary>The longest <c>--timeout</c>: a day (a longer wait is no deadline, and a timer takes at most 49 days).</summary>
    internal const int MaxTimeoutSeconds = 86_400;

    internal static readonly Option<int> TimeoutOption = WholeSeconds(new("--timeout")
    {
        Description = $"Seconds to wait for the pipeline before giving up, 1 to {MaxTimeoutSeconds}.",
        DefaultValueFactory = _ => 300,
    });

    /// <summary>
    /// Refuses a timeout that would not be one: 0 or less (which a user might read as "no limit", and which ran as one
    /// second) and more than a day.
    /// </summary>
    private static Option<int> WholeSeconds(Option<int> option)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is var seconds and (< 1 or > MaxTimeoutSeconds))
            {
                result.AddError($"{option.Name} {seconds}: give a number of seconds from 1 to {MaxTimeoutSeconds}");
            }
        });
        return option;
    }

    public static IEnumerable<Command> Create(CliConsole console)
    {
        yield return DeployCommand.Create(console);
        yield return PlanCommand.Create(console);
        yield return StatusCommand.Create(console);
        yield return HostsCommand.Create(console);
        yield return DeleteCommand.Create(console);
        yield return HistoryCommand.Create(console);
        yield return EventsCommand.Create(console);
        yield return LogsCommand.Create(console);
        yield return RollbackCommand.Create(console);
    }
}
