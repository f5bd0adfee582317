using System.CommandLine;
using Workers.Contracts.Spec;

namespace Workers.Cli.Commands;

/// <summary><c>workers rollback NAME</c>: deploys an earlier revision's spec again.</summary>
internal static class RollbackCommand
{
    public static Command Create(CliConsole console)
    {
        var name = new Argument<string>("NAME") { Description = "The deployment." }.RefusingOptions();
        var to = new Option<long?>("--to") { Description = "The revision to deploy again (default: the newest earlier revision that ran healthy)." };
        var wait = new Option<bool>("--wait") { Description = "Show the rollout until it runs or fails; the exit code says which." };
        var command = new Command("rollback", "Deploy an earlier revision's spec again, as a new revision rolled out in waves.") { name, to, wait, ClusterCommands.BrokerOption, ClusterCommands.TimeoutOption };
        command.SetAction((parsed, token) => ClusterRunner.RunAsync(console, parsed, token, async (client, connection, cancellationToken) =>
        {
            await ClusterRunner.WaitForLocalHostAsync(client, connection, cancellationToken);
            var history = await client.HistoryAsync(parsed.GetRequiredValue(name), cancellationToken);
            var (target, error) = Functions.Handlers.QueryHandler.RollbackTarget(history, parsed.GetValue(to));
            if (target is null)
            {
                await console.Error.WriteLineAsync($"workers: {error}");
                return ExitCodes.Failed;
            }

            var id = await client.DeployAsync(SpecWriter.ToJson(target.Spec), $"{history.Name}@{target.Revision}.json", cancellationToken);
            await console.Out.WriteLineAsync($"deployment {history.Name}: revision {target.Revision}'s spec ({target.Image}) requested again (id {id})");
            return parsed.GetValue(wait) || connection.Embedded
                ? await DeployCommand.WaitForOutcomeAsync(console, client, connection, id, history.Name, parsed.GetValue(wait), cancellationToken)
                : ExitCodes.Ok;
        }));
        return command;
    }
}
