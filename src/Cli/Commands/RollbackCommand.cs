using System.CommandLine;

namespace Workers.Cli.Commands;

/// <summary><c>workers rollback NAME</c>: deploys an earlier revision's spec again.</summary>
internal static class RollbackCommand
{
    public static Command Create(CliConsole console)
    {
        var name = new Argument<string>("NAME") { Description = "The deployment." }.RefusingOptions();
        var to = new Option<long?>("--to") { Description = "The revision to deploy again (default: the newest earlier revision that ran healthy)." };
        var wait = new Option<bool>("--wait") { Description = "Show the rollout until it runs or fails; the exit code says which." };
        var command = new Command("rollback", "Deploy an earlier revision's spec again, as a new revision rolled out in waves.") { name, to, wait, ClusterCommands.ServerOption, ClusterCommands.BrokerOption, ClusterCommands.TimeoutOption };
        command.SetAction((parsed, token) => ClusterRunner.RunAsync(console, parsed, token, async (client, connection, cancellationToken) =>
        {
            await ClusterRunner.WaitForLocalHostAsync(client, connection, cancellationToken);
            var requested = await client.RollbackAsync(parsed.GetRequiredValue(name), parsed.GetValue(to), cancellationToken);
            await console.Out.WriteLineAsync($"deployment {requested.Name}: revision {requested.Revision}'s spec ({requested.Image}) requested again (id {requested.DeploymentId})");
            return parsed.GetValue(wait) || connection.Embedded
                ? await DeployCommand.WaitForOutcomeAsync(console, client, connection, requested.DeploymentId, requested.Name, parsed.GetValue(wait), cancellationToken)
                : ExitCodes.Ok;
        }));
        return command;
    }
}
