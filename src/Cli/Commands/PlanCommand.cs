using System.CommandLine;

namespace Workers.Cli.Commands;

/// <summary><c>workers plan FILE</c>: a dry run that shows where each replica would land, or why it cannot.</summary>
internal static class PlanCommand
{
    public static Command Create(CliConsole console)
    {
        var file = new Argument<string>("FILE") { Description = "The spec, YAML or JSON; '-' reads standard input." };
        var format = CommonOptions.Format();
        var command = new Command("plan", "Dry run: show where each replica would land, or exactly why it cannot. Starts nothing.") { file, format, ClusterCommands.ServerOption, ClusterCommands.BrokerOption, ClusterCommands.TimeoutOption };
        command.SetAction(async (parsed, token) =>
        {
            var (text, _, refusal) = await ClusterRunner.ReadValidSpecAsync(parsed.GetRequiredValue(file), console, parsed, token);
            return refusal ?? await ClusterRunner.RunAsync(console, parsed, token, async (client, connection, cancellationToken) =>
            {
                await ClusterRunner.WaitForLocalHostAsync(client, connection, cancellationToken);
                var reply = await client.PlanAsync(text, parsed.GetRequiredValue(file), cancellationToken);
                if (CommonOptions.WantsDocument(parsed))
                {
                    await CommonOptions.WriteDocumentAsync(console, parsed, new { reply.Placements, reply.Reason, reply.Problems }, ClusterRenderer.Json);
                }
                else
                {
                    await ClusterRenderer.PlanAsync(console.Out, reply);
                }

                return reply.Reason is null ? ExitCodes.Ok : ExitCodes.Failed;
            });
        });
        return command;
    }
}
