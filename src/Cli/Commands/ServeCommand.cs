using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Workers.Cli.Contexts;
using Workers.Functions.Store;
using Workers.Intake;
using Workers.Transport;

namespace Workers.Cli.Commands;

/// <summary>
/// <c>workers serve</c>: the embedded default as a long-running local server, as <c>nomad agent -dev</c>: the functions,
/// one agent for this machine and the HTTP API on loopback, with a token it generates and saves as the <c>local</c>
/// context, which the other commands then use while it runs. Its agent keeps watching the replicas between commands.
/// </summary>
internal static class ServeCommand
{
    /// <summary>How long Ctrl+C or SIGTERM leaves the server to stop before the process is ended anyway.</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    public static Command Create(CliConsole console)
    {
        var listen = new Option<string>("--listen")
        {
            Description = "The address and port of the HTTP API; port 0 takes a free one.",
            DefaultValueFactory = _ => "127.0.0.1:0",
        };
        var background = new Option<bool>("--background")
        {
            Description = "Run as the server a command starts when none runs: log to a file, print one line when ready, stop after 10 minutes without a deployment.",
            Hidden = true,
        };
        var command = new Command("serve", "Run the embedded default as a local server (the functions, one agent and the HTTP API on 127.0.0.1) and make it the 'local' context, until Ctrl+C.") { listen, background, CreateStop(console) };
        command.SetAction(async (parsed, token) =>
        {
            var text = parsed.GetRequiredValue(listen);
            if (!IPEndPoint.TryParse(text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) ? "127.0.0.1" + text[9..] : text, out var endpoint))
            {
                return await CommonOptions.FailAsync(console, parsed, ExitCodes.Usage, "usage", $"--listen: '{text}' is not an address and port, such as 127.0.0.1:8080");
            }

            try
            {
                return await ServeAsync(console, parsed, endpoint, parsed.GetValue(background), token);
            }
            catch (CliFailure e) when (parsed.GetValue(background))
            {
                // The command that started it reports this as its own failure, with the same code and exit code.
                await console.Out.WriteLineAsync(BackgroundServer.FailedLine(e));
                return e.ExitCode;
            }
            catch (CliFailure e)
            {
                return await CommonOptions.FailAsync(console, parsed, e.ExitCode, e.Code, e.Message, e);
            }
        });
        return command;
    }

    /// <summary>
    /// <c>workers serve</c> is the embedded default, on the in-memory bus: a <c>WORKERS_BROKER</c> that names a broker
    /// (RabbitMQ or Azure Service Bus) is refused rather than left unused, since a user who set it expects the server on it.
    /// </summary>
    internal static void RefuseANamedBroker(Func<string, string?> environment)
    {
        if (!new Target.Bus(environment("WORKERS_BROKER")).Embedded)
        {
            throw new CliFailure(ExitCodes.Usage, "usage",
                "workers serve runs the embedded default (the in-memory bus), and WORKERS_BROKER names a broker: unset it, "
                + "or run the functions host (Workers.Functions.Host) and the agents against that broker");
        }
    }

    /// <summary><c>workers serve stop</c>: asks the server this user runs (in the background or not) to stop, and waits until it has.</summary>
    private static Command CreateStop(CliConsole console)
    {
        var command = new Command("stop", "Stop the local server (workers serve, or the one a command started in the background) and wait until it has stopped.");
        command.SetAction(async (parsed, token) =>
        {
            var files = LocalServerFiles.Default;
            if (LocalServerRecord.Read(files.Record) is not { } record || !files.Held())
            {
                await console.Out.WriteLineAsync("workers serve: none runs");
                return ExitCodes.Ok;
            }

            if (!await BackgroundServer.StopAsync(record, files, token))
            {
                return await CommonOptions.FailAsync(console, parsed, ExitCodes.Unavailable, "serve.running", $"workers serve (pid {record.ProcessId}) did not stop within {BackgroundServer.StopWait.TotalSeconds:0}s");
            }

            await console.Out.WriteLineAsync($"workers serve: stopped (pid {record.ProcessId})");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<int> ServeAsync(CliConsole console, ParseResult parsed, IPEndPoint endpoint, bool background, CancellationToken stopping)
    {
        RefuseANamedBroker(Environment.GetEnvironmentVariable);
        var files = LocalServerFiles.Default;
        await using var held = files.TryLock();
        if (held is null)
        {
            if (background)
            {
                await console.Out.WriteLineAsync(BackgroundServer.RunningLine);
                return ExitCodes.Unavailable;
            }

            var pid = LocalServerRecord.Read(files.Record) is { } running ? $" (pid {running.ProcessId})" : string.Empty;
            throw new CliFailure(ExitCodes.Unavailable, "serve.running", $"workers serve already runs for this user{pid}: 'workers serve stop' stops it");
        }

        var record = LocalServerRecord.Current(background);
        record.Write(files.Record);
        try
        {
            await using var log = background ? new StreamWriter(new FileStream(files.Log, FileMode.Create, FileAccess.Write, FileShare.Read)) { AutoFlush = true } : null;
            return await ServeAsync(console, parsed, endpoint, log, stopping);
        }
        finally
        {
            if (LocalServerRecord.Read(files.Record)?.ProcessId == record.ProcessId)
            {
                File.Delete(files.Record);
            }
        }
    }

    /// <summary>Runs the server; <paramref name="log"/> (in the background) takes its log and what it would print.</summary>
    private static async Task<int> ServeAsync(CliConsole console, ParseResult parsed, IPEndPoint endpoint, StreamWriter? log, CancellationToken stopping)
    {
        var output = (TextWriter?)log ?? console.Out;
        var apiToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["WORKERS_API_TOKENS"] = apiToken });
        var logging = CliLogging.From(parsed.GetValue(CommonOptions.Verbose), Environment.GetEnvironmentVariable(CliLogging.Variable));
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Trace).AddProvider(logging.Provider(log ?? console.Error));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(endpoint));
        using (var starting = CancellationTokenSource.CreateLinkedTokenSource(stopping))
        {
            starting.CancelAfter(TimeSpan.FromSeconds(60));
            var hostId = await Connection.AddEmbeddedPipelineAsync(builder.Services, Preflight.DefaultLimit, starting.Token);
            builder.Services.AddWorkersIntake();
            await using var app = builder.Build();
            app.MapWorkersIntake();
            try
            {
                await app.StartAsync(starting.Token);
            }
            catch (SecretsKeyException e)
            {
                throw new CliFailure(ExitCodes.Usage, "secrets.key", e.Message, e);
            }
            catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                throw new CliFailure(ExitCodes.Unavailable, "listen.in-use", $"cannot listen on {endpoint}: the address is in use", e);
            }

            // Nothing can be placed before the agent's first heartbeat is in: the server is ready once it is.
            var client = new WorkersClient(app.Services.GetRequiredService<IBus>(), TimeSpan.FromSeconds(30));
            while (!(await client.HostsAsync(starting.Token)).Hosts.Any(h => h.HostId == hostId && h.Live))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), starting.Token);
            }

            var listening = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            var server = new UriBuilder(listening) { Host = IPAddress.Any.Equals(endpoint.Address) ? "127.0.0.1" : IPAddress.IPv6Any.Equals(endpoint.Address) ? "[::1]" : listening.Host }.Uri;
            var path = CliConfig.PathFromEnvironment();
            var config = CliConfig.Load(path);
            config.Put(new CliContext { Name = CliConfig.LocalContext, Server = server.GetLeftPart(UriPartial.Authority), Token = apiToken, Serve = true });
            config.CurrentContext = CliConfig.LocalContext;
            config.Save(path);
            await output.WriteLineAsync($"workers serve: the functions, agent '{hostId}' and the HTTP API at {server.GetLeftPart(UriPartial.Authority)}");
            await output.WriteLineAsync($"context '{CliConfig.LocalContext}' saved in {path} and made current: workers commands use this server while it runs; {(log is null ? "Ctrl+C" : "'workers serve stop'")} stops it");
            if (log is not null)
            {
                await console.Out.WriteLineAsync(BackgroundServer.ReadyLine);
            }

            await console.Out.FlushAsync(CancellationToken.None);
            try
            {
                if (log is null)
                {
                    await Task.Delay(Timeout.Infinite, stopping);
                }
                else
                {
                    await StopWhenIdleAsync(client, output, stopping);
                }
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C or SIGTERM: stop below.
            }

            using var stop = new CancellationTokenSource(StopTimeout - TimeSpan.FromSeconds(5));
            await app.StopAsync(stop.Token);
        }

        await output.WriteLineAsync("workers serve: stopped; the next command that needs the pipeline starts a server again (with WORKERS_AUTO_SERVE=off, it runs the pipeline itself)");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// A server a command started keeps watching while its store has deployments, and stops once it has had none for
    /// <see cref="BackgroundServer.IdleStop"/>: the next command that needs one starts it again.
    /// </summary>
    private static async Task StopWhenIdleAsync(WorkersClient client, TextWriter output, CancellationToken stopping)
    {
        var idleSince = DateTimeOffset.UtcNow;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(30));
        while (await timer.NextTickAsync(stopping))
        {
            int deployments;
            try
            {
                deployments = (await client.StatusAsync(null, null, stopping)).Deployments.Count;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Not an answer: the server is not idle for it, and asks again at the next tick.
                await output.WriteLineAsync($"workers serve: could not read the deployments to see whether it is idle: {e.Message.ReplaceLineEndings(" ")}");
                idleSince = DateTimeOffset.UtcNow;
                continue;
            }

            if (deployments > 0)
            {
                idleSince = DateTimeOffset.UtcNow;
            }
            else if (DateTimeOffset.UtcNow - idleSince >= BackgroundServer.IdleStop)
            {
                await output.WriteLineAsync($"workers serve: no deployment for {BackgroundServer.IdleStop.TotalMinutes:0} minutes; stopping");
                return;
            }
        }
    }
}
