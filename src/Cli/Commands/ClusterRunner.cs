using System.CommandLine;
using Workers.Contracts.Messages;
using Workers.Cli.Contexts;
using Workers.Contracts.Spec;
using Workers.Transport.ServiceBus;

namespace Workers.Cli.Commands;

/// <summary>
/// How a cluster command runs: the spec read and checked before any connection, the connection opened within
/// <c>--timeout</c>, its failures reported in one line, and in the embedded default the waits on the in-process pipeline.
/// </summary>
internal static class ClusterRunner
{
    /// <summary>How often <c>--watch</c> asks again.</summary>
    internal static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Runs a read-only command: on the embedded default straight from the store (no bus, no pipeline, no agent), else
    /// over the bus or a server's HTTP API, one request per read. With <paramref name="watch"/> the timeout bounds only the connection.
    /// </summary>
    internal static async Task<int> ReadAsync(CliConsole console, ParseResult parsed, CancellationToken token, bool watch, Func<IClusterReads, CancellationToken, Task<int>> action)
    {
        var timeout = TimeoutOf(parsed);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(timeout);
        Target target;
        try
        {
            target = await TargetAsync(parsed, timeout, deadline.Token);
        }
        catch (CliFailure e)
        {
            return await CommonOptions.FailAsync(console, parsed, e.ExitCode, e.Code, e.Message, e);
        }

        if (target is not Target.Bus { Embedded: true })
        {
            return await RunOnAsync(target, console, parsed, token, (client, _, cancellationToken) => action(new ClientReads(client), cancellationToken), watch);
        }

        try
        {
            var reads = await StoreReads.OpenAsync(deadline.Token);
            if (watch)
            {
                deadline.CancelAfter(Timeout.InfiniteTimeSpan);
            }

            return await action(reads, deadline.Token);
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !token.IsCancellationRequested)
        {
            return await CommonOptions.FailAsync(console, parsed, ExitCodes.Unavailable, "timeout", $"gave up after {timeout.TotalSeconds:0}s reading the store", e);
        }
        catch (System.Data.Common.DbException e)
        {
            return await CommonOptions.FailAsync(console, parsed, ExitCodes.Unavailable, "store.unreadable", $"cannot read the store: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }

    private static TimeSpan TimeoutOf(ParseResult parsed) => TimeSpan.FromSeconds(parsed.GetValue(ClusterCommands.TimeoutOption));

    /// <summary>
    /// Where the command goes (<see cref="Target.Resolve(ParseResult)"/>). The context <c>workers serve</c> wrote is
    /// used while its server listens; once it is gone the command runs the embedded default, as it would with no context.
    /// </summary>
    private static async Task<Target> TargetAsync(ParseResult parsed, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var target = Target.Resolve(parsed);
        return target is Target.Server { FallBackToEmbedded: true } server && !await Preflight.ServerListensAsync(server.Address, Preflight.LimitFor(timeout), cancellationToken)
            ? new Target.Bus(null)
            : target;
    }

    /// <summary>
    /// Reads once, or with <paramref name="watch"/> every <see cref="WatchInterval"/> until cancelled, writing the
    /// answer whenever its <paramref name="shape"/> changes; the exit code is that of the last answer written.
    /// </summary>
    internal static async Task<int> WatchAsync<T>(CliConsole console, bool watch, Func<Task<T>> read, Func<T, string> shape, Func<T, Task<int>> write, CancellationToken cancellationToken)
    {
        string? last = null;
        var exit = ExitCodes.Ok;
        while (true)
        {
            var reply = await read();

            // The shape only tells a watch whether anything changed: a single read does not pay for it (serializing the
            // reply loads and compiles System.Text.Json's reflection path, a third of a quick read's time).
            var now = watch ? shape(reply) : null;
            if (!watch || now != last)
            {
                if (last is not null)
                {
                    await console.Out.WriteLineAsync();
                }

                exit = await write(reply);
                await console.Out.FlushAsync(cancellationToken);
                last = now;
            }

            if (!watch)
            {
                return exit;
            }

            await Task.Delay(WatchInterval, cancellationToken);
        }
    }

    /// <summary>
    /// Connects (to a server, a broker, the local server, started in the background when none runs, or else starts the
    /// embedded default), runs <paramref name="action"/> within --timeout, and reports its failures in one line.
    /// </summary>
    internal static async Task<int> RunAsync(CliConsole console, ParseResult parsed, CancellationToken token, Func<IWorkersClient, IPipelineSession, CancellationToken, Task<int>> action, bool watch = false)
    {
        Target target;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(token))
        {
            deadline.CancelAfter(TimeoutOf(parsed));
            try
            {
                target = await BackgroundServer.PrepareAsync(await TargetAsync(parsed, TimeoutOf(parsed), deadline.Token), parsed, console, deadline.Token);
            }
            catch (CliFailure e)
            {
                return await CommonOptions.FailAsync(console, parsed, e.ExitCode, e.Code, e.Message, e);
            }
            catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !token.IsCancellationRequested)
            {
                return await CommonOptions.FailAsync(console, parsed, ExitCodes.Unavailable, "timeout", $"gave up after {TimeoutOf(parsed).TotalSeconds:0}s starting the local server (its log: {LocalServerFiles.Default.Log})", e);
            }
        }

        return await RunOnAsync(target, console, parsed, token, action, watch);
    }

    private static async Task<int> RunOnAsync(Target target, CliConsole console, ParseResult parsed, CancellationToken token, Func<IWorkersClient, IPipelineSession, CancellationToken, Task<int>> action, bool watch)
    {
        var timeout = TimeoutOf(parsed);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(timeout);
        try
        {
            var requestTimeout = TimeSpan.FromSeconds(Math.Min(30, timeout.TotalSeconds));
            if (target is Target.Server server)
            {
                using var http = new HttpWorkersClient(server.Address, server.Token, Preflight.LimitFor(timeout), requestTimeout);
                if (watch)
                {
                    deadline.CancelAfter(Timeout.InfiniteTimeSpan);
                }

                return await action(http, RemoteSession.For(server), deadline.Token);
            }

            if (target is Target.Bus { Broker: { } setting } && ServiceBusSettings.IsServiceBus(setting))
            {
                // No preflight: a namespace answers only once signed in, which the first send does.
                await using var serviceBus = ServiceBusTransport.Open(setting, Environment.GetEnvironmentVariable, requestTimeout);
                if (watch)
                {
                    deadline.CancelAfter(Timeout.InfiniteTimeSpan);
                }

                return await action(new WorkersClient(serviceBus), RemoteSession.Instance, deadline.Token);
            }

            var logging = CliLogging.From(parsed.GetValue(CommonOptions.Verbose), Environment.GetEnvironmentVariable(CliLogging.Variable));
            await using var connection = await Connection.OpenAsync(((Target.Bus)target).Broker ?? "memory", logging, console.Error, Preflight.LimitFor(timeout), deadline.Token);
            var client = new WorkersClient(connection.Transport(requestTimeout));
            if (watch)
            {
                deadline.CancelAfter(Timeout.InfiniteTimeSpan);
            }

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
        catch (Exception e) when (e is Azure.Messaging.ServiceBus.ServiceBusException or Azure.Identity.AuthenticationFailedException)
        {
            return await CommonOptions.FailAsync(console, parsed, ExitCodes.Unavailable, "broker.unreachable", $"Azure Service Bus: {e.Message.ReplaceLineEndings(" ")}", e);
        }
        catch (Exception e) when (e is MassTransit.MassTransitException or System.Net.Sockets.SocketException or RabbitMQ.Client.Exceptions.BrokerUnreachableException)
        {
            // The broker went away after the command had connected.
            return await CommonOptions.FailAsync(console, parsed, ExitCodes.Unavailable, "broker.unreachable", $"lost the broker: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }

    internal static Task<int> NotFoundAsync(CliConsole console, ParseResult parsed, string name) =>
        CommonOptions.FailAsync(console, parsed, ExitCodes.Failed, "deployment.not-found", $"no deployment named {name}");

    /// <summary>The spec's text and its parse, or the exit code when it is unreadable (2) or invalid (1, problems printed).</summary>
    internal static async Task<(string Text, SpecParseResult Result, int? Refusal)> ReadValidSpecAsync(string file, CliConsole console, ParseResult parsed, CancellationToken cancellationToken)
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
            if (CommonOptions.WantsDocument(parsed))
            {
                return (string.Empty, result, await CommonOptions.FailAsync(console, parsed, ExitCodes.Failed, "spec.invalid", $"{file}: {result.Problems.Count} problem(s)", problems: result.Problems));
            }

            await ClusterRenderer.PrintProblemsAsync(console, result.Problems);
            return (string.Empty, result, ExitCodes.Failed);
        }

        return (System.Text.Encoding.UTF8.GetString(bytes), result, null);
    }

    /// <summary>The embedded agent's first heartbeat must be in before anything is placed.</summary>
    internal static async Task WaitForLocalHostAsync(IWorkersClient client, IPipelineSession connection, CancellationToken cancellationToken)
    {
        if (connection.LocalHostId is not { } local)
        {
            return;
        }

        while (true)
        {
            var due = connection.NextPoll(cancellationToken);
            if ((await client.HostsAsync(cancellationToken)).Hosts.Any(h => h.HostId == local && h.Live && h.LastSeen > DateTimeOffset.UtcNow.AddMinutes(-1)))
            {
                return;
            }

            await due;
        }
    }

    /// <summary>In the embedded default, stay until no replica of the name is still starting or stopping: this process is the whole pipeline.</summary>
    internal static async Task SettleAsync(IPipelineSession connection, string name, CancellationToken cancellationToken)
    {
        if (connection.Store is not { } store)
        {
            return;
        }

        while (true)
        {
            var due = connection.NextPoll(cancellationToken);
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

            await due;
        }
    }
}
