using System.CommandLine;
using System.Text.Json;
using Workers.Contracts.Messages;

namespace Workers.Cli.Commands;

/// <summary><c>workers hosts</c>: the hosts the agents report; <c>hosts forget|revoke HOST</c> manage their keys.</summary>
internal static class HostsCommand
{
    public static Command Create(CliConsole console)
    {
        var format = CommonOptions.Format(wide: true);
        var watch = CommonOptions.Watch();
        var command = new Command("hosts", "Show the hosts the agents report, with when each was last heard from. On the embedded default no agent runs between commands: each host shows its last heartbeat and its age.")
        {
            format, watch, ClusterCommands.ServerOption, ClusterCommands.BrokerOption, ClusterCommands.TimeoutOption,
            HostKeys(console, "forget", revoke: false, "Unpin a host's agent keys: its next heartbeat pins the keys it then has (after a new key file or a re-imaged host); also lifts a revocation."),
            HostKeys(console, "revoke", revoke: true, "Refuse every message of a host from now on, whatever key signs it, until 'workers hosts forget HOST'."),
        };
        command.SetAction((parsed, token) => ClusterRunner.ReadAsync(console, parsed, token, parsed.GetValue(watch), (reads, cancellationToken) =>
            ClusterRunner.WatchAsync(
                console,
                parsed.GetValue(watch),
                () => reads.HostsAsync(cancellationToken),

                // The age moves on every read: a change is what the hosts report, not the clock.
                reply => JsonSerializer.Serialize(reply.Hosts.Select(h => h with { LastSeen = default }), ClusterRenderer.Json),
                reply => WriteAsync(console, parsed, reads.FromStore, reply),
                cancellationToken)));
        return command;
    }

    private static async Task<int> WriteAsync(CliConsole console, ParseResult parsed, bool fromStore, HostsReply reply)
    {
        if (CommonOptions.WantsDocument(parsed))
        {
            await CommonOptions.WriteDocumentAsync(console, parsed, reply.Hosts, ClusterRenderer.Json);
            return ExitCodes.Ok;
        }

        if (reply.Hosts.Count == 0)
        {
            await console.Out.WriteLineAsync(fromStore ? "no hosts yet: the embedded agent reports this machine once a command such as 'workers deploy' has run" : "no hosts have reported");
            return ExitCodes.Ok;
        }

        await ClusterRenderer.HostsAsync(console.Out, reply, CommonOptions.FormatOf(parsed) == CommonOptions.WideFormat);
        return ExitCodes.Ok;
    }

    private static Command HostKeys(CliConsole console, string name, bool revoke, string description)
    {
        var host = new Argument<string>("HOST") { Description = "The host id." }.RefusingOptions();
        var command = new Command(name, description) { host, ClusterCommands.ServerOption, ClusterCommands.BrokerOption, ClusterCommands.TimeoutOption };
        command.SetAction((parsed, token) => ClusterRunner.RunAsync(console, parsed, token, async (client, __, cancellationToken) =>
        {
            var target = parsed.GetRequiredValue(host);
            if (!Contracts.Spec.HostId.TryParse(target, out _, out var error))
            {
                await console.Error.WriteLineAsync($"workers: '{target}' is not a host id: {error}");
                return ExitCodes.Usage;
            }

            var reply = await client.ForgetHostAsync(target, revoke, cancellationToken);
            await console.Out.WriteLineAsync($"host {reply.HostId}: {reply.Outcome}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
