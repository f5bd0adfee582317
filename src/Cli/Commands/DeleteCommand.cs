using System.CommandLine;
using Workers.Contracts.Spec;

namespace Workers.Cli.Commands;

/// <summary><c>workers delete NAME</c>: stops and removes every replica of a deployment.</summary>
internal static class DeleteCommand
{
    public static Command Create(CliConsole console)
    {
        var name = new Argument<string>("NAME") { Description = "The deployment to stop and remove." }.RefusingOptions();
        var wait = new Option<bool>("--wait") { Description = "Wait until every container is removed." };
        var command = new Command("delete", "Stop and remove every replica of a deployment.") { name, wait, ClusterCommands.ServerOption, ClusterCommands.BrokerOption, ClusterCommands.TimeoutOption };
        command.SetAction((parsed, token) => ClusterRunner.RunAsync(console, parsed, token, async (client, connection, cancellationToken) =>
        {
            var target = parsed.GetRequiredValue(name);
            if (!DnsLabel.TryParse(target, out _, out var error))
            {
                await console.Error.WriteLineAsync($"workers: '{target}' is not a deployment name: {error}");
                return ExitCodes.Usage;
            }

            // Nothing is placed, so the embedded agent's first heartbeat is not waited for: its stop commands wait in
            // its queue until it consumes them, as a remote host's do.
            if ((await client.StatusAsync(target, null, cancellationToken)).Deployments.Count == 0)
            {
                // As kubectl delete of a missing resource: an error, not a request that silently changes nothing.
                return await ClusterRunner.NotFoundAsync(console, parsed, target);
            }

            await client.DeleteAsync(target, cancellationToken);
            if (parsed.GetValue(wait) || connection.Embedded)
            {
                await connection.WaitAsync(
                    () => client.StatusAsync(target, null, cancellationToken),
                    r => r.Deployments.Count == 0,
                    _ => Task.CompletedTask,
                    cancellationToken);
                await console.Out.WriteLineAsync($"deployment {target} deleted");
            }
            else
            {
                await console.Out.WriteLineAsync($"deletion of {target} requested");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
