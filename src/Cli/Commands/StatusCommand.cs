using System.CommandLine;
using System.Text.Json;

namespace Workers.Cli.Commands;

/// <summary><c>workers status [NAME]</c>: deployments and, for one, its replicas.</summary>
internal static class StatusCommand
{
    public static Command Create(CliConsole console)
    {
        var name = new Argument<string?>("NAME") { Description = "One deployment; all when left out.", Arity = ArgumentArity.ZeroOrOne };
        var format = CommonOptions.Format();
        var command = new Command("status", "Show deployments and their replicas.") { name, format, ClusterCommands.BrokerOption, ClusterCommands.TimeoutOption };
        command.SetAction((parsed, token) => ClusterRunner.RunAsync(console, parsed, token, async (client, _, cancellationToken) =>
        {
            var reply = await client.StatusAsync(parsed.GetValue(name), null, cancellationToken);
            if (parsed.GetValue(format) == CommonOptions.JsonFormat)
            {
                if (reply.Deployments.Count == 0 && parsed.GetValue(name) is { } unknown)
                {
                    return await ClusterRunner.NotFoundAsync(console, parsed, unknown);
                }

                await console.Out.WriteLineAsync(JsonSerializer.Serialize(reply.Deployments, ClusterRenderer.Json));
                return ExitCodes.Ok;
            }

            if (reply.Deployments.Count == 0)
            {
                await console.Out.WriteLineAsync(parsed.GetValue(name) is { } missing ? $"no deployment named {missing}" : "no deployments");
                return parsed.GetValue(name) is null ? ExitCodes.Ok : ExitCodes.Failed;
            }

            await ClusterRenderer.StatusAsync(console.Out, reply, replicas: parsed.GetValue(name) is not null);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
