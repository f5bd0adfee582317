using System.CommandLine;
using Workers.Contracts.Messages;

namespace Workers.Cli.Commands;

/// <summary><c>workers deploy FILE</c>: publishes a spec, and with <c>--wait</c> (or embedded) follows it to its outcome.</summary>
internal static class DeployCommand
{
    public static Command Create(CliConsole console)
    {
        var file = new Argument<string>("FILE") { Description = "The spec, YAML or JSON; '-' reads standard input." };
        var wait = new Option<bool>("--wait") { Description = "Show each replica's progress until the deployment succeeds or fails; the exit code says which." };
        var command = new Command("deploy", "Deploy a spec: publish it to the pipeline.") { file, wait, ClusterCommands.ServerOption, ClusterCommands.BrokerOption, ClusterCommands.TimeoutOption };
        command.SetAction(async (parsed, token) =>
        {
            // The spec is checked before anything is connected to: its problems are the answer whatever is down.
            var (text, result, refusal) = await ClusterRunner.ReadValidSpecAsync(parsed.GetRequiredValue(file), console, parsed, token);
            return refusal ?? await ClusterRunner.RunAsync(console, parsed, token, async (client, connection, cancellationToken) =>
            {
                await ClusterRunner.WaitForLocalHostAsync(client, connection, cancellationToken);
                var id = await client.DeployAsync(text, parsed.GetRequiredValue(file), cancellationToken);
                await console.Out.WriteLineAsync($"deployment {result.Spec!.Name} requested (id {id})");
                return parsed.GetValue(wait) || connection.Embedded
                    ? await WaitForOutcomeAsync(console, client, connection, id, result.Spec.Name.Value, parsed.GetValue(wait), cancellationToken)
                    : ExitCodes.Ok;
            });
        });
        return command;
    }

    /// <summary>Shows the deployment's progress until it runs (0), or fails, is rejected or is rolled back (1, with the reason).</summary>
    internal static async Task<int> WaitForOutcomeAsync(CliConsole console, IWorkersClient client, IPipelineSession connection, Guid id, string name, bool verbose, CancellationToken cancellationToken)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var reply = await connection.WaitAsync(
            () => client.StatusAsync(null, id, cancellationToken),
            r => r.Deployments is [{ State: DeploymentState.Running or DeploymentState.Failed or DeploymentState.Rejected or DeploymentState.RolledBack }],
            r => ReportProgressAsync(console, r, seen, verbose),
            cancellationToken);
        await ClusterRunner.SettleAsync(connection, name, cancellationToken);
        var status = reply.Deployments[0];
        await console.Out.WriteLineAsync(status.State switch
        {
            DeploymentState.Running when status.DeploymentId != id => $"deployment {status.Name} unchanged: revision {status.Revision} already runs this spec",
            DeploymentState.Running => $"deployment {status.Name} revision {status.Revision} is running: {status.Replicas.Count(r => r.Health == ReplicaHealth.Healthy)} healthy replica(s)",
            DeploymentState.RolledBack => $"deployment {name} revision {status.Revision} {status.Reason}",
            _ => $"deployment {name} {status.State.ToString().ToLowerInvariant()}: {status.Reason}",
        });
        return status.State == DeploymentState.Running ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static async Task ReportProgressAsync(CliConsole console, DeploymentStatusReply reply, Dictionary<string, string> seen, bool verbose)
    {
        if (!verbose || reply.Deployments is not [var status])
        {
            return;
        }

        var lines = status.Replicas.Select(r => ($"r{status.Revision}.{r.Index}", $"  replica {r.Index} of revision {status.Revision} on {r.HostId}: {ClusterRenderer.Describe(r)}"))
            .Append(("progress", status.Progress is null ? string.Empty : $"  {status.State.ToString().ToLowerInvariant()}: {status.Progress}"));
        foreach (var (key, line) in lines)
        {
            if (line.Length > 0 && (!seen.TryGetValue(key, out var previous) || previous != line))
            {
                seen[key] = line;
                await console.Out.WriteLineAsync(line);
            }
        }
    }
}
