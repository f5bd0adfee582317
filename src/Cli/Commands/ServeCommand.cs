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
        var command = new Command("serve", "Run the embedded default as a local server (the functions, one agent and the HTTP API on 127.0.0.1) and make it the 'local' context, until Ctrl+C.") { listen };
        command.SetAction(async (parsed, token) =>
        {
            var text = parsed.GetRequiredValue(listen);
            if (!IPEndPoint.TryParse(text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) ? "127.0.0.1" + text[9..] : text, out var endpoint))
            {
                return await CommonOptions.FailAsync(console, parsed, ExitCodes.Usage, "usage", $"--listen: '{text}' is not an address and port, such as 127.0.0.1:8080");
            }

            try
            {
                return await ServeAsync(console, parsed, endpoint, token);
            }
            catch (CliFailure e)
            {
                return await CommonOptions.FailAsync(console, parsed, e.ExitCode, e.Code, e.Message, e);
            }
        });
        return command;
    }

    private static async Task<int> ServeAsync(CliConsole console, ParseResult parsed, IPEndPoint endpoint, CancellationToken stopping)
    {
        var apiToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["WORKERS_API_TOKENS"] = apiToken });
        var logging = CliLogging.From(parsed.GetValue(CommonOptions.Verbose), Environment.GetEnvironmentVariable(CliLogging.Variable));
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Trace).AddProvider(logging.Provider(console.Error));
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
            await console.Out.WriteLineAsync($"workers serve: the functions, agent '{hostId}' and the HTTP API at {server.GetLeftPart(UriPartial.Authority)}");
            await console.Out.WriteLineAsync($"context '{CliConfig.LocalContext}' saved in {path} and made current: workers commands use this server while it runs; Ctrl+C stops it");
            await console.Out.FlushAsync(CancellationToken.None);

            try
            {
                await Task.Delay(Timeout.Infinite, stopping);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C or SIGTERM: stop below.
            }

            using var stop = new CancellationTokenSource(StopTimeout - TimeSpan.FromSeconds(5));
            await app.StopAsync(stop.Token);
        }

        await console.Out.WriteLineAsync("workers serve: stopped; commands run the embedded default in their own process until it runs again");
        return ExitCodes.Ok;
    }
}
