using System.CommandLine;
using System.Text.Json;
using Workers.Contracts.Messages;

namespace Workers.Cli.Commands;

/// <summary><c>workers status [NAME]</c>: deployments with the addresses their replicas answer at and, for one (or <c>-o wide</c>), each replica.</summary>
internal static class StatusCommand
{
    public static Command Create(CliConsole console)
    {
        var name = new Argument<string?>("NAME") { Description = "One deployment; all when left out.", Arity = ArgumentArity.ZeroOrOne }.RefusingOptions();
        var format = CommonOptions.Format(wide: true);
        var watch = CommonOptions.Watch();
        var command = new Command("status", "Show deployments, the addresses (host:port) their replicas answer at, and for one deployment each replica.") { name, format, watch, ClusterCommands.ServerOption, ClusterCommands.BrokerOption, ClusterCommands.TimeoutOption };
        command.SetAction((parsed, token) => ClusterRunner.ReadAsync(console, parsed, token, parsed.GetValue(watch), (reads, cancellationToken) =>
            ClusterRunner.WatchAsync(
                console,
                parsed.GetValue(watch),
                () => reads.StatusAsync(parsed.GetValue(name), cancellationToken),
                reply => JsonSerializer.Serialize(reply.Deployments, ClusterRenderer.Json),
                reply => WriteAsync(console, parsed, parsed.GetValue(name), reply),
                cancellationToken)));
        return command;
    }

    private static async Task<int> WriteAsync(CliConsole console, ParseResult parsed, string? name, DeploymentStatusReply reply)
    {
        if (reply.Deployments.Count == 0 && name is not null)
        {
            return await ClusterRunner.NotFoundAsync(console, parsed, name);
        }

        if (CommonOptions.WantsDocument(parsed))
        {
            await CommonOptions.WriteDocumentAsync(console, parsed, reply.Deployments, ClusterRenderer.Json);
            return ExitCodes.Ok;
        }

        if (reply.Deployments.Count == 0)
        {
            await console.Out.WriteLineAsync("no deployments");
            return ExitCodes.Ok;
        }

        await ClusterRenderer.StatusAsync(console.Out, reply, replicas: name is not null || CommonOptions.FormatOf(parsed) == CommonOptions.WideFormat, wide: CommonOptions.FormatOf(parsed) == CommonOptions.WideFormat);
        return ExitCodes.Ok;
    }
}
