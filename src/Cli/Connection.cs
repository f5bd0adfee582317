using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Workers.Functions;
using Workers.Functions.Bus;
using Workers.Functions.Store;
using System.Security.Cryptography;
using Workers.HostAgent.Agent;
using Workers.Transport;
using Workers.Security;

namespace Workers.Cli;

/// <summary>What a command needs to know of where it runs: in the embedded default it waits on its own pipeline.</summary>
internal interface IPipelineSession
{
    bool Embedded { get; }

    /// <summary>The embedded agent's host id, whose first heartbeat must be in before anything is placed.</summary>
    string? LocalHostId { get; }

    /// <summary>The store, in the embedded default only.</summary>
    IDeploymentStore? Store { get; }

    /// <summary>
    /// When to read again: take it before a read and await it after. Remote, the poll interval; embedded, as soon as the
    /// pipeline in this process has handled a message (what can change an answer), or the interval at the latest.
    /// </summary>
    Task NextPoll(CancellationToken cancellationToken);
}

/// <summary>A server's HTTP API or a broker: the pipeline runs elsewhere, and is asked again every <see cref="Interval"/>.</summary>
internal sealed class RemoteSession : IPipelineSession
{
    /// <summary>A shared pipeline: a server or broker that others use too.</summary>
    public static readonly RemoteSession Instance = new(WorkersClientPolling.RemoteInterval);

    /// <summary>The server <c>workers serve</c> runs on this machine: the embedded pipeline, kept in its own process.</summary>
    public static readonly RemoteSession LocalServer = new(WorkersClientPolling.LocalServerInterval);

    private RemoteSession(TimeSpan interval) => Interval = interval;

    /// <summary>How a server's answers are waited on: the local server's as often as the embedded pipeline's, any other's at the shared interval.</summary>
    public static RemoteSession For(Contexts.Target.Server server) => server.FallBackToEmbedded ? LocalServer : Instance;

    public TimeSpan Interval { get; }

    public bool Embedded => false;

    public string? LocalHostId => null;

    public IDeploymentStore? Store => null;

    public Task NextPoll(CancellationToken cancellationToken) => Task.Delay(Interval, cancellationToken);
}

/// <summary>
/// The CLI's way onto the bus. With a broker it is a client and nothing else. Without one it is the embedded default:
/// the functions and one agent for this machine in this process, on the in-memory bus, with a SQLite file.
/// </summary>
internal sealed class Connection : IPipelineSession, IAsyncDisposable
{
    private readonly IHost _host;
    private readonly IServiceScope? _queries;
    private readonly PipelineActivity? _activity;

    private Connection(IHost host, PipelineActivity? activity, string? localHostId)
    {
        _host = host;
        _activity = activity;
        LocalHostId = localHostId;
        _queries = Embedded ? host.Services.CreateScope() : null;
    }

    public bool Embedded => _activity is not null;

    public string? LocalHostId { get; }

    public IBus Bus => _host.Services.GetRequiredService<IBus>();

    /// <summary>The store, in the embedded default only: the CLI waits on it until the in-process pipeline has settled.</summary>
    public IDeploymentStore? Store => Embedded ? _host.Services.GetRequiredService<IDeploymentStore>() : null;

    /// <summary>
    /// How the CLI reaches the functions: in the embedded default its reads (status, hosts) go to the functions' query
    /// handler in this process, the one the bus would hand them to, without a request and reply on the in-memory bus.
    /// </summary>
    public IWorkersTransport Transport(TimeSpan requestTimeout) =>
        _queries is null
            ? new MassTransitTransport(Bus, requestTimeout)
            : new InProcessTransport(new MassTransitTransport(Bus, requestTimeout), _queries.ServiceProvider.GetRequiredService<Functions.Handlers.QueryHandler>());

    public async Task NextPoll(CancellationToken cancellationToken)
    {
        if (_activity is null)
        {
            await RemoteSession.Instance.NextPoll(cancellationToken);
            return;
        }

        await Task.WhenAny(_activity.Next, Task.Delay(WorkersClientPolling.EmbeddedInterval, cancellationToken));
        cancellationToken.ThrowIfCancellationRequested();
    }

    public static Task<Connection> OpenAsync(string? brokerSetting, CancellationToken cancellationToken) =>
        OpenAsync(brokerSetting, CliLogging.Quiet, Console.Error, Preflight.DefaultLimit, cancellationToken);

    /// <summary>
    /// Checks the broker (or, for the embedded default, Docker) first, then starts the bus; a <see cref="CliFailure"/>
    /// says in one line what could not be reached or was refused.
    /// </summary>
    public static async Task<Connection> OpenAsync(string? brokerSetting, CliLogging logging, TextWriter log, TimeSpan checkLimit, CancellationToken cancellationToken)
    {
        var broker = ParseBroker(brokerSetting);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Trace).AddProvider(logging.Provider(log));
        string? localHostId = null;
        if (broker.IsInMemory)
        {
            localHostId = await AddEmbeddedPipelineAsync(builder.Services, checkLimit, cancellationToken);
        }
        else
        {
            await Preflight.CheckBrokerAsync(broker, checkLimit, cancellationToken);
            builder.Services.AddWorkersBus(broker, _ => { }, (_, _) => { });
        }

        var host = builder.Build();
        var activity = broker.IsInMemory ? new PipelineActivity() : null;
        if (activity is not null)
        {
            host.Services.GetRequiredService<IBus>().ConnectConsumeObserver(activity);
        }

        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch (SecretsKeyException e)
        {
            // The embedded functions refuse to start when stored secrets cannot be opened: say so in one line.
            host.Dispose();
            throw new CliFailure(ExitCodes.Usage, "secrets.key", e.Message, e);
        }
        catch (Exception e) when (!broker.IsInMemory && !cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            throw Preflight.BrokerFailure(broker, e, checkLimit);
        }

        return new Connection(host, activity, localHostId);
    }

    /// <summary>
    /// The embedded default's services: the functions and one agent for this machine on the in-memory bus, with the
    /// SQLite store (or WORKERS_STORE), once Docker has answered. Returns the agent's host id.
    /// </summary>
    public static async Task<string> AddEmbeddedPipelineAsync(IServiceCollection services, TimeSpan checkLimit, CancellationToken cancellationToken)
    {
        // The embedded functions sign their commands and the embedded agent trusts exactly that key. Every setting
        // of the embedded default is read before anything starts, and every problem is listed in one message.
        var problems = new List<string>();
        SigningKey? control = null;
        try
        {
            control = ControlPlaneKey.Load(Environment.GetEnvironmentVariable("WORKERS_SIGNING_KEY"));
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException or ArgumentException or CryptographicException)
        {
            problems.Add($"WORKERS_SIGNING_KEY: {e.Message}");
        }

        AgentOptions? agent;
        using (var standIn = control is null ? SigningKey.Generate() : null)
        {
            var trusted = (control ?? standIn!).PublicKey.Base64;
            if (!AgentOptions.TryRead(key => key == "WORKERS_CONTROL_KEYS" ? trusted : EmbeddedSetting(key), out agent, out var errors))
            {
                problems.AddRange(errors);
            }
        }

        if (problems.Count > 0 || control is null || agent is null)
        {
            control?.Dispose();
            throw new CliFailure(ExitCodes.Usage, "config.invalid", SettingProblems.Join(problems));
        }

        services.AddSingleton(control);

        await Preflight.CheckDockerAsync(checkLimit, cancellationToken);

        services.AddWorkersHandlers(_ => StoreSettings.Dialect(Environment.GetEnvironmentVariable("WORKERS_STORE"), StoreSettings.DefaultSqlitePath()));
        services.AddWorkersBus(
            Broker.InMemory,
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
        services.AddWorkersAgent(agent);
        services.AddWorkersSweep();
        return agent.HostId.Value;
    }

    /// <summary>
    /// The broker setting (<c>--broker</c>, else <c>WORKERS_BROKER</c>, named in the message); one that does not parse
    /// is a usage error, without the address's password.
    /// </summary>
    public static Broker ParseBroker(string? brokerSetting) =>
        Broker.TryParse(brokerSetting ?? Environment.GetEnvironmentVariable("WORKERS_BROKER"), out var broker, out var error)
            ? broker
            : throw new CliFailure(ExitCodes.Usage, "usage", brokerSetting is null ? $"WORKERS_BROKER: {error}" : error);

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await _host.StopAsync(timeout.Token);
        _queries?.Dispose();
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
