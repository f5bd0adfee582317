using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Workers.Functions.Bus;
using Workers.Functions.Store;
using Workers.HostAgent.Agent;
using Workers.Transport;

namespace Workers.Cli;

/// <summary>
/// The CLI's way onto the bus. With a broker it is a client and nothing else. Without one it is the embedded default:
/// the functions and one agent for this machine in this process, on the in-memory bus, with a SQLite file.
/// </summary>
internal sealed class Connection : IAsyncDisposable
{
    private readonly IHost _host;

    private Connection(IHost host, bool embedded, string? localHostId)
    {
        _host = host;
        Embedded = embedded;
        LocalHostId = localHostId;
    }

    public bool Embedded { get; }

    public string? LocalHostId { get; }

    public IBus Bus => _host.Services.GetRequiredService<IBus>();

    /// <summary>The store, in the embedded default only: the CLI waits on it until the in-process pipeline has settled.</summary>
    public IDeploymentStore? Store => Embedded ? _host.Services.GetRequiredService<IDeploymentStore>() : null;

    public static async Task<Connection> OpenAsync(string? brokerSetting, CancellationToken cancellationToken)
    {
        var broker = Broker.Parse(brokerSetting ?? Environment.GetEnvironmentVariable("WORKERS_BROKER"));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).AddFilter(level => level >= LogLevel.Warning);
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        string? localHostId = null;
        if (broker.IsInMemory)
        {
            if (!AgentOptions.TryRead(EmbeddedSetting, out var agent, out var errors))
            {
                throw new InvalidOperationException(string.Join("; ", errors));
            }

            localHostId = agent.HostId.Value;
            builder.Services.AddWorkersHandlers(_ => StoreSettings.Dialect(Environment.GetEnvironmentVariable("WORKERS_STORE"), StoreSettings.DefaultSqlitePath()));
            builder.Services.AddWorkersBus(
                broker,
                bus =>
                {
                    bus.AddWorkersFunctionConsumers();
                    bus.AddWorkersAgentConsumers();
                },
                (context, cfg) =>
                {
                    cfg.ConfigureEndpoints(context);
                    cfg.ConfigureAgentEndpoint(context, agent);
                });
            builder.Services.AddWorkersAgent(agent);
            builder.Services.AddWorkersSweep();
        }
        else
        {
            builder.Services.AddWorkersBus(broker, _ => { }, (_, _) => { });
        }

        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new Connection(host, broker.IsInMemory, localHostId);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await _host.StopAsync(timeout.Token);
        _host.Dispose();
    }

    /// <summary>The embedded agent: this machine, ports on loopback unless WORKERS_BIND_ADDRESS says otherwise.</summary>
    private static string? EmbeddedSetting(string key) => key switch
    {
        "WORKERS_HOST_ID" => Environment.GetEnvironmentVariable(key) ?? "local",
        "WORKERS_BIND_ADDRESS" => Environment.GetEnvironmentVariable(key) ?? "127.0.0.1",
        _ => Environment.GetEnvironmentVariable(key),
    };
}
