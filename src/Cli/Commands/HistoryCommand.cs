using System.CommandLine;

namespace Workers.Cli.Commands;

/// <summary><c>workers history NAME</c>: a deployment's revisions, newest first.</summary>
internal static class HistoryCommand
{
    public static Command Create(CliConsole console)
    {
        var name = new Argument<string>("NAME") { Description = "The deployment." }.RefusingOptions();
        var format = CommonOptions.Format();
        var command = new Command("history", "List a deployment's revisions, newest first: image, state, when, and why it failed or was rolled back.") { name, format, ClusterCommands.ServerOption, ClusterCommands.BrokerOption, ClusterCommands.TimeoutOption };
        command.SetAction((parsed, token) => ClusterRunner.ReadAsync(console, parsed, token, watch: false, async (reads, cancellationToken) =>
        {
            var reply = await reads.HistoryAsync(parsed.GetRequiredValue(name), cancellationToken);
            if (reply.Revisions.Count == 0)
            {
                return await ClusterRunner.NotFoundAsync(console, parsed, reply.Name);
            }

            if (CommonOptions.WantsDocument(parsed))
            {
                await CommonOptions.WriteDocumentAsync(console, parsed, reply.Revisions, ClusterRenderer.Json);
                return ExitCodes.Ok;
            }

            await ClusterRenderer.HistoryAsync(console.Out, reply);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
