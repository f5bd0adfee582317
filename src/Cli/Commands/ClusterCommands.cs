using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

namespace Workers.Cli.Commands;

/// <summary><c>deploy</c>, <c>plan</c>, <c>status</c>, <c>hosts</c> and <c>delete</c>: everything that talks to the pipeline.</summary>
internal static class ClusterCommands
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    internal static readonly Option<string?> BrokerOption = new("--broker")
    {
        Description = "The broker, as rabbitmq://user:password@host:5672/ (default: WORKERS_BROKER; unset runs the embedded default).",
    };

    internal static readonly Option<int> TimeoutOption = new("--timeout")
    {
        Description = "Seconds to wait for the pipeline before giving up.",
        DefaultValueFactory = _ => 300,
    };

    public static IEnumerable<Command> Create(CliConsole console)
    {
        yield return Deploy(console);
        yield return Plan(console);
        yield return Status(console);
        yield return Hosts(console);
        yield return Delete(console);
        yield return History(console);
        yield return Rollback(console);
    }

    private static Command Deploy(CliConsole console)
    {
        var file = new Argument<string>("FILE") { Description = "The spec, YAML or JSON; '-' reads standard input." };
        var wait = new Option<bool>("--wait") { Description = "Show each replica's progress until the deployment succeeds or fails; the exit code says which." };
        var command = new Command("deploy", "Deploy a spec: publish it to the pipeline.") { file, wait, BrokerOption, TimeoutOption };
        command.SetAction(async (parsed, token) =>
        {
            // The spec is checked before anything is connected to: its problems are the answer whatever is down.
            var (text, result, refusal) = await ReadValidSpecAsync(parsed.GetRequiredValue(file), console, parsed, token);
            return refusal ?? await RunAsync(console, parsed, token, async (client, connection, cancellationToken) =>
            {
                await WaitForLocalHostAsync(client, connection, cancellationToken);
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
    private static async Task<int> WaitForOutcomeAsync(CliConsole console, WorkersClient client, Connection connection, Guid id, string name, bool verbose, CancellationToken cancellationToken)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var reply = await client.WaitAsync(
            () => client.StatusAsync(null, id, cancellationToken),
            r => r.Deployments is [{ State: DeploymentState.Running or DeploymentState.Failed or DeploymentState.Rejected or DeploymentState.RolledBack }],
            r => ReportProgressAsync(console, r, seen, verbose),
            cancellationToken);
        await SettleAsync(connection, name, cancellationToken);
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

    private static Command History(CliConsole console)
    {
        var name = new Argument<string>("NAME") { Description = "The deployment." };
        var format = CommonOptions.Format();
        var command = new Command("history", "List a deployment's revisions, newest first: image, state, when, and why it failed or was rolled back.") { name, format, BrokerOption, TimeoutOption };
        command.SetAction((parsed, token) => RunAsync(console, parsed, token, async (client, _, cancellationToken) =>
        {
            var reply = await client.HistoryAsync(parsed.GetRequiredValue(name), cancellationToken);
            if (parsed.GetValue(format) == CommonOptions.JsonFormat)
            {
                if (reply.Revisions.Count == 0)
                {
                    return await NotFoundAsync(console, parsed, reply.Name);
                }

                await console.Out.WriteLineAsync(JsonSerializer.Serialize(reply.Revisions.Select(r => new { r.Revision, r.DeploymentId, r.State, r.Image, r.Reason, r.RequestedBy, r.UpdatedAt, Current = r.Revision == reply.Current }), Json));
                return ExitCodes.Ok;
            }

            if (reply.Revisions.Count == 0)
            {
                await console.Out.WriteLineAsync($"no deployment named {reply.Name}");
                return ExitCodes.Failed;
            }

            await console.Out.WriteLineAsync($"{"REVISION",8}  {"STATE",-11} {"UPDATED",-20} {"IMAGE",-40} REASON");
            foreach (var r in reply.Revisions)
            {
                var mark = r.Revision == reply.Current ? "*" : " ";
                await console.Out.WriteLineAsync($"{r.Revision,7}{mark}  {r.State,-11} {r.UpdatedAt.ToString("u", CultureInfo.InvariantCulture),-20} {r.Image,-40} {r.Reason}".TrimEnd());
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Rollback(CliConsole console)
    {
        var name = new Argument<string>("NAME") { Description = "The deployment." };
        var to = new Option<long?>("--to") { Description = "The revision to deploy again (default: the newest earlier revision that ran healthy)." };
        var wait = new Option<bool>("--wait") { Description = "Show the rollout until it runs or fails; the exit code says which." };
        var command = new Command("rollback", "Deploy an earlier revision's spec again, as a new revision rolled out in waves.") { name, to, wait, BrokerOption, TimeoutOption };
        command.SetAction((parsed, token) => RunAsync(console, parsed, token, async (client, connection, cancellationToken) =>
        {
            await WaitForLocalHostAsync(client, connection, cancellationToken);
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
                ? await WaitForOutcomeAsync(console, client, connection, id, history.Name, parsed.GetValue(wait), cancellationToken)
                : ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Plan(CliConsole console)
    {
        var file = new Argument<string>("FILE") { Description = "The spec, YAML or JSON; '-' reads standard input." };
        var format = CommonOptions.Format();
        var command = new Command("plan", "Dry run: show where each replica would land, or exactly why it cannot. Starts nothing.") { file, format, BrokerOption, TimeoutOption };
        command.SetAction(async (parsed, token) =>
        {
            var (text, _, refusal) = await ReadValidSpecAsync(parsed.GetRequiredValue(file), console, parsed, token);
            return refusal ?? await RunAsync(console, parsed, token, async (client, connection, cancellationToken) =>
            {
                await WaitForLocalHostAsync(client, connection, cancellationToken);
                var reply = await client.PlanAsync(text, parsed.GetRequiredValue(file), cancellationToken);
                if (parsed.GetValue(format) == CommonOptions.JsonFormat)
                {
                    await console.Out.WriteLineAsync(JsonSerializer.Serialize(new { reply.Placements, reply.Reason, reply.Problems }, Json));
                }
                else if (reply.Reason is null)
                {
                    foreach (var placement in reply.Placements)
                    {
                        await console.Out.WriteLineAsync($"replica {placement.Index} -> {placement.HostId} {Ports(placement.Ports)}".TrimEnd());
                    }
                }
                else
                {
                    await PrintProblemsAsync(console, reply.Problems);
                    await console.Out.WriteLineAsync(reply.Reason);
                }

                return reply.Reason is null ? ExitCodes.Ok : ExitCodes.Failed;
            });
        });
        return command;
    }

    private static Command Status(CliConsole console)
    {
        var name = new Argument<string?>("NAME") { Description = "One deployment; all when left out.", Arity = ArgumentArity.ZeroOrOne };
        var format = CommonOptions.Format();
        var command = new Command("status", "Show deployments and their replicas.") { name, format, BrokerOption, TimeoutOption };
        command.SetAction((parsed, token) => RunAsync(console, parsed, token, async (client, _, cancellationToken) =>
        {
            var reply = await client.StatusAsync(parsed.GetValue(name), null, cancellationToken);
            if (parsed.GetValue(format) == CommonOptions.JsonFormat)
            {
                if (reply.Deployments.Count == 0 && parsed.GetValue(name) is { } unknown)
                {
                    return await NotFoundAsync(console, parsed, unknown);
                }

                await console.Out.WriteLineAsync(JsonSerializer.Serialize(reply.Deployments, Json));
                return ExitCodes.Ok;
            }

            if (reply.Deployments.Count == 0)
            {
                await console.Out.WriteLineAsync(parsed.GetValue(name) is { } missing ? $"no deployment named {missing}" : "no deployments");
                return parsed.GetValue(name) is null ? ExitCodes.Ok : ExitCodes.Failed;
            }

            await console.Out.WriteLineAsync($"{"NAME",-24} {"REVISION",8}  {"STATE",-11} {"HEALTHY",7}  IMAGE");
            foreach (var d in reply.Deployments)
            {
                await console.Out.WriteLineAsync($"{d.Name,-24} {d.Revision,8}  {d.State,-11} {$"{d.Replicas.Count(r => r.State == ReplicaState.Running && r.Health == ReplicaHealth.Healthy)}/{d.Replicas.Count(r => r.State is ReplicaState.Pending or ReplicaState.Running)}",7}  {d.Image}");
                if (parsed.GetValue(name) is not null)
                {
                    foreach (var r in d.Replicas)
                    {
                        var health = r.State == ReplicaState.Running && r.Health is { } h ? h.ToString().ToLowerInvariant() : "-";
                        await console.Out.WriteLineAsync($"  #{r.Index,-4} {r.HostId,-16} {r.State,-9} {health,-9} {Short(r.ContainerId),-12}  {r.Address ?? Ports(r.Ports)}{(r.Reason is null ? string.Empty : "  " + r.Reason)}");
                    }

                    if (d.Progress is not null)
                    {
                        await console.Out.WriteLineAsync($"  progress: {d.Progress}");
                    }

                    if (d.Reason is not null)
                    {
                        await console.Out.WriteLineAsync($"  reason: {d.Reason}");
                    }
                }
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Hosts(CliConsole console)
    {
        var format = CommonOptions.Format();
        var command = new Command("hosts", "Show the hosts the agents report.")
        {
            format, BrokerOption, TimeoutOption,
            HostKeys(console, "forget", revoke: false, "Unpin a host's agent keys: its next heartbeat pins the keys it then has (after a new key file or a re-imaged host); also lifts a revocation."),
            HostKeys(console, "revoke", revoke: true, "Refuse every message of a host from now on, whatever key signs it, until 'workers hosts forget HOST'."),
        };
        command.SetAction((parsed, token) => RunAsync(console, parsed, token, async (client, connection, cancellationToken) =>
        {
            await WaitForLocalHostAsync(client, connection, cancellationToken);
            var reply = await client.HostsAsync(cancellationToken);
            if (parsed.GetValue(format) == CommonOptions.JsonFormat)
            {
                await console.Out.WriteLineAsync(JsonSerializer.Serialize(reply.Hosts, Json));
                return ExitCodes.Ok;
            }

            await console.Out.WriteLineAsync($"{"HOST",-20} {"LIVE",-5} {"CPU FREE",-14} {"MEMORY FREE",-18} {"REPLICAS",8}  {"LAST SEEN",-20} LABELS");
            foreach (var h in reply.Hosts)
            {
                var labels = string.Join(",", h.Labels.Select(l => $"{l.Key}={l.Value}"));
                await console.Out.WriteLineAsync(
                    $"{h.HostId,-20} {(h.Live ? "yes" : "no"),-5} {$"{h.CpuFreeMillicores}m/{h.CpuCapacityMillicores}m",-14} {$"{h.MemoryFreeBytes >> 20}Mi/{h.MemoryCapacityBytes >> 20}Mi",-18} {h.Replicas,8}  {h.LastSeen.ToString("u", CultureInfo.InvariantCulture),-20} {labels}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command HostKeys(CliConsole console, string name, bool revoke, string description)
    {
        var host = new Argument<string>("HOST") { Description = "The host id." };
        var command = new Command(name, description) { host, BrokerOption, TimeoutOption };
        command.SetAction((parsed, token) => RunAsync(console, parsed, token, async (client, __, cancellationToken) =>
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

    private static Command Delete(CliConsole console)
    {
        var name = new Argument<string>("NAME") { Description = "The deployment to stop and remove." };
        var wait = new Option<bool>("--wait") { Description = "Wait until every container is removed." };
        var command = new Command("delete", "Stop and remove every replica of a deployment.") { name, wait, BrokerOption, TimeoutOption };
        command.SetAction((parsed, token) => RunAsync(console, parsed, token, async (client, connection, cancellationToken) =>
        {
            var target = parsed.GetRequiredValue(name);
            if (!DnsLabel.TryParse(target, out _, out var error))
            {
                await console.Error.WriteLineAsync($"workers: '{target}' is not a deployment name: {error}");
                return ExitCodes.Usage;
            }

            await WaitForLocalHostAsync(client, connection, cancellationToken);
            await client.DeleteAsync(target, cancellationToken);
            if (parsed.GetValue(wait) || connection.Embedded)
            {
                await client.WaitAsync(
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

    /// <summary>Connects (or starts the embedded default), runs <paramref name="action"/> within --timeout, and reports its failures in one line.</summary>
    internal static async Task<int> RunAsync(CliConsole console, ParseResult parsed, CancellationToken token, Func<WorkersClient, Connection, CancellationToken, Task<int>> action)
    {
        var timeout = TimeSpan.FromSeconds(Math.Max(1, parsed.GetValue(TimeoutOption)));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(timeout);
        try
        {
            var logging = CliLogging.From(parsed.GetValue(CommonOptions.Verbose), Environment.GetEnvironmentVariable(CliLogging.Variable));
            await using var connection = await Connection.OpenAsync(parsed.GetValue(BrokerOption), logging, console.Error, deadline.Token);
            var client = new WorkersClient(connection.Bus, TimeSpan.FromSeconds(Math.Min(30, timeout.TotalSeconds)));
            return await action(client, connection, deadline.Token);
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !token.IsCancellationRequested)
        {
            return await CommonOptions.FailAsync(console, parsed, ExitCodes.Unavailable, "timeout", $"gave up after {timeout.TotalSeconds:0}s; 'workers status' shows where it stands", e);
        }
        catch (WorkersUnavailableException e)
        {
            return await CommonOptions.FailAsync(console, parsed, ExitCodes.Unavailable, "functions.unavailable", e.Message, e);
        }
        catch (CliFailure e)
        {
            return await CommonOptions.FailAsync(console, parsed, e.ExitCode, e.Code, e.Message, e);
        }
        catch (Exception e) when (e is MassTransit.MassTransitException or System.Net.Sockets.SocketException or RabbitMQ.Client.Exceptions.BrokerUnreachableException)
        {
            // The broker went away after the command had connected.
            return await CommonOptions.FailAsync(console, parsed, ExitCodes.Unavailable, "broker.unreachable", $"lost the broker: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }

    private static Task<int> NotFoundAsync(CliConsole console, ParseResult parsed, string name) =>
        CommonOptions.FailAsync(console, parsed, ExitCodes.Failed, "deployment.not-found", $"no deployment named {name}");

    /// <summary>The spec's text and its parse, or the exit code when it is unreadable (2) or invalid (1, problems printed).</summary>
    private static async Task<(string Text, SpecParseResult Result, int? Refusal)> ReadValidSpecAsync(string file, CliConsole console, ParseResult parsed, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await SpecFiles.ReadAsync(file, console, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var problem = SpecFiles.Unreadable(file, e);
            return (string.Empty, SpecParser.Parse([], file), await CommonOptions.FailAsync(console, parsed, ExitCodes.Usage, problem.Code, problem.Message, problems: new[] { problem }));
        }

        var result = SpecParser.Parse(bytes, file);
        if (!result.IsValid)
        {
            if (CommonOptions.WantsJson(parsed))
            {
                return (string.Empty, result, await CommonOptions.FailAsync(console, parsed, ExitCodes.Failed, "spec.invalid", $"{file}: {result.Problems.Count} problem(s)", problems: result.Problems));
            }

            await PrintProblemsAsync(console, result.Problems);
            return (string.Empty, result, ExitCodes.Failed);
        }

        return (System.Text.Encoding.UTF8.GetString(bytes), result, null);
    }

    private static async Task PrintProblemsAsync(CliConsole console, IReadOnlyList<SpecProblem> problems)
    {
        foreach (var problem in problems)
        {
            await console.Out.WriteLineAsync(problem.ToString());
        }
    }

    /// <summary>The embedded agent's first heartbeat must be in before anything is placed.</summary>
    private static async Task WaitForLocalHostAsync(WorkersClient client, Connection connection, CancellationToken cancellationToken)
    {
        if (connection.LocalHostId is not { } local)
        {
            return;
        }

        while (!(await client.HostsAsync(cancellationToken)).Hosts.Any(h => h.HostId == local && h.Live && h.LastSeen > DateTimeOffset.UtcNow.AddMinutes(-1)))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    /// <summary>In the embedded default, stay until no replica of the name is still starting or stopping: this process is the whole pipeline.</summary>
    private static async Task SettleAsync(Connection connection, string name, CancellationToken cancellationToken)
    {
        if (connection.Store is not { } store)
        {
            return;
        }

        while (true)
        {
            var busy = false;
            foreach (var revision in await store.GetOlderActiveRevisionsAsync(name, long.MaxValue, cancellationToken))
            {
                var replicas = await store.GetReplicasAsync(revision.DeploymentId, cancellationToken);
                busy |= replicas.Any(r => r.State is ReplicaState.Pending or ReplicaState.Stopping);
            }

            if (!busy)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    private static async Task ReportProgressAsync(CliConsole console, DeploymentStatusReply reply, Dictionary<string, string> seen, bool verbose)
    {
        if (!verbose || reply.Deployments is not [var status])
        {
            return;
        }

        var lines = status.Replicas.Select(r => ($"r{status.Revision}.{r.Index}", $"  replica {r.Index} of revision {status.Revision} on {r.HostId}: {Describe(r)}"))
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

    private static string Describe(ReplicaStatus replica) =>
        $"{replica.State.ToString().ToLowerInvariant()}{(replica.Health is { } health && replica.State == ReplicaState.Running ? $" ({health.ToString().ToLowerInvariant()})" : string.Empty)} {Short(replica.ContainerId)} {replica.Address ?? Ports(replica.Ports)}{(replica.Reason is null ? string.Empty : " " + replica.Reason)}".TrimEnd();

    private static string Ports(IReadOnlyList<PortBinding> ports) =>
        string.Join(" ", ports.Select(p => $"{p.HostPort}->{p.ContainerPort}/{p.Protocol.ToString().ToLowerInvariant()}"));

    private static string Short(string? containerId) => containerId is null ? "-" : containerId[..Math.Min(12, containerId.Length)];
}
