using System.CommandLine;
using System.Text.Json;

namespace Workers.Cli.Commands;

/// <summary><c>workers history NAME</c>: a deployment's revisions, newest first.</summary>
internal static class HistoryCommand
{
    public static Command Create(CliConsole console)
    {
        var name = new Argument<string>("NAME") { Description = "The deployment." };
        var format = CommonOptions.Format();
        var command = new Command("history", "List a deployment's revisions, newest first: image, state, when, and why it failed or was rolled back.") { name, format, ClusterCommands.BrokerOption, ClusterCommands.TimeoutOption };
        command.SetAction((parsed, token) => ClusterRunner.RunAsync(console, parsed, token, async (client, _, cancellationToken) =>
        {
            var reply = await client.HistoryAsync(parsed.GetRequiredValue(name), cancellationToken);
            if (parsed.GetValue(format) == CommonOptions.JsonFormat)
            {
                if (reply.Revisions.Count == 0)
                {
                    return await ClusterRunner.NotFoundAsync(console, parsed, reply.Name);
                }

                await console.Out.WriteLineAsync(JsonSerializer.Serialize(reply.Revisions.Select(r => new { r.Revision, r.DeploymentId, r.State, r.Image, r.Reason, r.RequestedBy, r.UpdatedAt, Current = r.Revision == reply.Current }), ClusterRenderer.Json));
                return ExitCodes.Ok;
            }

            if (reply.Revisions.Count == 0)
            {
                await console.Out.WriteLineAsync($"no deployment named {reply.Name}");
                return ExitCodes.Failed;
            }

            await ClusterRenderer.HistoryAsync(console.Out, reply);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
