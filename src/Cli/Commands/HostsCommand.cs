using System.CommandLine;
using System.Text.Json;

namespace Workers.Cli.Commands;

/// <summary><c>workers hosts</c>: the hosts the agents report; <c>hosts forget|revoke HOST</c> manage their keys.</summary>
internal static class HostsCommand
{
    public static Command Create(CliConsole console)
    {
        var format = CommonOptions.Format();
        var command = new Command("hosts", "Show the hosts the agents report.")
        {
            format, ClusterCommands.BrokerOption, ClusterCommands.TimeoutOption,
            HostKeys(console, "forget", revoke: false, "Unpin a host's agent keys: its next heartbeat pins the keys it then has (after a new key file or a re-imaged host); also lifts a revocation."),
            HostKeys(console, "revoke", revoke: true, "Refuse every message of a host from now on, whatever key signs it, until 'workers hosts forget HOST'."),
        };
        command.SetAction((parsed, token) => ClusterRunner.RunAsync(console, parsed, token, async (client, connection, cancellationToken) =>
        {
            await ClusterRunner.WaitForLocalHostAsync(client, connection, cancellationToken);
            var reply = await client.HostsAsync(cancellationToken);
            if (parsed.GetValue(format) == CommonOptions.JsonFormat)
            {
                await console.Out.WriteLineAsync(JsonSerializer.Serialize(reply.Hosts, ClusterRenderer.Json));
                return ExitCodes.Ok;
            }

            await ClusterRenderer.HostsAsync(console.Out, reply);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command HostKeys(CliConsole console, string name, bool revoke, string description)
    {
        var host = new Argument<string>("HOST") { Description = "The host id." };
        var command = new Command(name, description) { host, ClusterCommands.BrokerOption, ClusterCommands.TimeoutOption };
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
