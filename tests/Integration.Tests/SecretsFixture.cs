using Workers.HostAgent.Amqp;
using Docker.DotNet;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using RabbitMQ.Client;
using Testcontainers.RabbitMq;
using Workers.Cli;
using Workers.Functions;
using Workers.Functions.Bus;
using Workers.Functions.Store;
using Workers.HostAgent.Agent;
using Workers.Intake;
using Workers.Security;
using Workers.Transport;

namespace Workers.Integration.Tests;

/// <summary>
/// A pipeline of its own for the secrets test, with everything a value could leak through in reach: a real RabbitMQ
/// whose firehose (<c>rabbitmqctl trace_on</c>) copies every message published or delivered into a queue the test
/// reads at the end, each piece under the broker user its role gets from infra/rabbitmq/users.sh; the functions with the HTTP intake (as src/Functions.Host runs them) on a SQLite store in a
/// directory of its own, with the secrets key file made beside it; one agent on 127.0.0.5; the log lines of every
/// in-process host, at every level; and the built <c>workers</c> CLI run as a process against the broker as a client.
/// </summary>
public sealed class SecretsFixture : IAsyncLifetime
{
    private const string TraceQueue = "it-firehose";

    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly List<IHost> _hosts = [];
    private RabbitMqContainer? _rabbit;
    private IConnection? _trace;

    /// <summary>The control plane's key: the functions sign commands with it, the agent trusts it.</summary>
    public SigningKey ControlKey { get; } = SigningKey.Generate();

    /// <summary>Where the store, its key file and the keys live; deleted afterwards.</summary>
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("workers-it-secrets-").FullName;

    public string StorePath => Path.Combine(Directory, "workers.db");

    public string HostId => $"s-{_suffix}";

    /// <summary>The broker as the functions' user.</summary>
    public Broker FunctionsBroker { get; private set; } = Broker.InMemory;

    /// <summary>The broker as a client's user (the CLI's, the test's own client): it may only publish requests.</summary>
    public Broker ClientBroker { get; private set; } = Broker.InMemory;

    private Broker AgentBroker { get; set; } = Broker.InMemory;

    private Broker AdminBroker { get; set; } = Broker.InMemory;

    public CapturedLogs Logs { get; } = new();

    public Uri IntakeAddress { get; private set; } = null!;

    public string IntakeToken { get; } = "it-" + Guid.NewGuid().ToString("N");

    public DockerClient Docker { get; } = new DockerClientBuilder().Build();

    public IHost Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        try
        {
            await Docker.System.PingAsync();
        }
        catch (Exception e) when (e is HttpRequestException or IOException or DockerApiException or TimeoutException)
        {
            throw new InvalidOperationException($"The integration tests need a running Docker engine, and it is not reachable: {e.Message}. {TestImages.HowToGetThem}.", e);
        }

        _rabbit = new RabbitMqBuilder(TestImages.RabbitMq).WithResourceMapping(new FileInfo(BrokerUsers.Script), "/etc/workers/").Build();
        await TestBroker.StartAsync(_rabbit);
        var uri = new Uri(_rabbit.GetConnectionString());
        AdminBroker = Broker.Parse($"rabbitmq://{uri.UserInfo}@{uri.Host}:{uri.Port}/");
        var users = new BrokerUsers(_rabbit, uri);
        FunctionsBroker = await users.AddAsync("functions", $"functions-{_suffix}");
        AgentBroker = await users.AddAsync("agent", HostId);
        ClientBroker = await users.AddAsync("client", $"cli-{_suffix}");

        // The firehose first, so that nothing any piece publishes escapes it.
        var traced = await _rabbit.ExecAsync(["rabbitmqctl", "trace_on"]);
        Assert.True(traced.ExitCode == 0, $"rabbitmqctl trace_on: {traced.Stderr}");
        _trace = await AdminBroker.ConnectionFactory("it-firehose").CreateConnectionAsync();
        await using (var channel = await _trace.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync(TraceQueue, durable: false, exclusive: false, autoDelete: false);
            await channel.QueueBindAsync(TraceQueue, "amq.rabbitmq.trace", "#");
        }

        _hosts.Add(await StartFunctionsAsync());
        _hosts.Add(await StartAgentAsync());
        Client = await StartAsync(services => services.AddWorkersBus(ClientBroker, _ => { }, (_, _) => { }));
        _hosts.Add(Client);
        var client = NewClient();
        await Poll.UntilAsync(() => client.HostsAsync(CancellationToken.None), r => r.Hosts.Any(h => h.Live && h.HostId == HostId), TimeSpan.FromSeconds(60), "the agent's heartbeat");
    }

    internal WorkersClient NewClient() => new(Client.Services.GetRequiredService<IBus>(), TimeSpan.FromSeconds(30));

    /// <summary>Every message the broker saw published or delivered since the fixture started: its routing key (<c>publish.EXCHANGE</c>, <c>deliver.QUEUE</c>) and its body as sent.</summary>
    public async Task<IReadOnlyList<(string RoutingKey, byte[] Body)>> TracedMessagesAsync()
    {
        var messages = new List<(string, byte[])>();
        await using var channel = await _trace!.CreateChannelAsync();
        while (await channel.BasicGetAsync(TraceQueue, autoAck: true) is { } message)
        {
            messages.Add((message.RoutingKey, message.Body.ToArray()));
        }

        return messages;
    }

    /// <summary>
    /// Runs the built <c>workers</c> CLI against the fixture's broker, as a user would, with <paramref name="input"/>
    /// on its standard input; fails the test if it runs past two minutes.
    /// </summary>
    internal Task<CliRun> WorkersAsync(string? input, params string[] arguments) =>
        WorkersViaAsync(overHttp: false, input, arguments);

    /// <summary>
    /// Runs the built <c>workers</c> CLI as <see cref="WorkersAsync"/> does, over the bus or (<paramref name="overHttp"/>)
    /// over the intake's HTTP API with its token in WORKERS_TOKEN, with a config directory of its own.
    /// </summary>
    internal Task<CliRun> WorkersViaAsync(bool overHttp, string? input, params string[] arguments) =>
        RunCliAsync(overHttp, input, null, arguments);

    /// <summary>
    /// Runs the CLI as <see cref="WorkersViaAsync"/> does and, while it runs, calls <paramref name="whileRunning"/> with a
    /// view of its standard output so far (to act once it has printed something).
    /// </summary>
    internal Task<CliRun> WorkersWhileAsync(bool overHttp, Func<Func<string>, Task> whileRunning, params string[] arguments) =>
        RunCliAsync(overHttp, null, whileRunning, arguments);

    private Task<CliRun> RunCliAsync(bool overHttp, string? input, Func<Func<string>, Task>? whileRunning, string[] arguments)
    {
        var environment = new Dictionary<string, string> { ["XDG_CONFIG_HOME"] = Path.Combine(Directory, "config") };
        if (overHttp)
        {
            environment["WORKERS_TOKEN"] = IntakeToken;
        }

        string[] target = overHttp
            ? ["--server", IntakeAddress.ToString()]
            : ["--broker", $"rabbitmq://{Uri.EscapeDataString(ClientBroker.Username)}:{Uri.EscapeDataString(ClientBroker.Password)}@{ClientBroker.Host}:{ClientBroker.Port}/"];
        return CliProcess.RunAsync([.. arguments, .. target, "--timeout", "100"], environment, input, TimeSpan.FromMinutes(2), whileRunning);
    }

    public async Task DisposeAsync()
    {
        foreach (var host in Enumerable.Reverse(_hosts))
        {
            await host.StopAsync();
            host.Dispose();
        }

        foreach (var container in await DockerView.ContainersAsync(Docker, HostId))
        {
            await Docker.Containers.RemoveContainerAsync(container.ID, new() { Force = true });
        }

        if (_trace is not null)
        {
            await _trace.DisposeAsync();
        }

        if (_rabbit is not null)
        {
            await _rabbit.DisposeAsync();
        }

        Docker.Dispose();
        ControlKey.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>The functions and the HTTP intake in one host, as src/Functions.Host runs them; the secrets key comes from the file beside the store.</summary>
    private async Task<IHost> StartFunctionsAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Workers:HostTimeout"] = "00:00:10",
            ["Workers:SweepInterval"] = "00:00:01",
            ["WORKERS_HTTP_URLS"] = "http://127.0.0.1:0",
            ["WORKERS_API_TOKENS"] = IntakeToken,
            ["WORKERS_SEALING_KEY"] = Path.Combine(Directory, "control-sealing.key"),
        });
        Capture(builder.Logging);
        builder.Services.AddSingleton(ControlKey);
        builder.Services.AddWorkersHandlers(_ => new SqliteDialect(StorePath));
        builder.Services.AddWorkersBus(FunctionsBroker, bus => bus.AddWorkersFunctionConsumers(), (context, cfg) => cfg.ConfigureEndpoints(context));
        builder.Services.AddWorkersSweep();
        builder.AddWorkersHttpIntake();
        var app = builder.Build();
        app.MapWorkersIntake();
        await app.StartAsync();
        IntakeAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        return app;
    }

    private Task<IHost> StartAgentAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["WORKERS_HOST_ID"] = HostId,
            ["WORKERS_BIND_ADDRESS"] = "127.0.0.5",
            ["WORKERS_HEARTBEAT_INTERVAL"] = "1s",
            ["WORKERS_STOP_GRACE"] = "2s",
            ["WORKERS_CONTROL_KEYS"] = ControlKey.PublicKey.Base64,
            ["WORKERS_AGENT_KEY"] = Path.Combine(Directory, $"agent-{HostId}.key"),
        };
        if (!AgentOptions.TryRead(key => settings.GetValueOrDefault(key), out var options, out var errors))
        {
            throw new InvalidOperationException(string.Join("; ", errors));
        }

        return StartAsync(services =>
        {
            services.AddWorkersAgentAmqp(AgentBroker, options);
            services.AddWorkersAgent(options);
        });
    }

    private async Task<IHost> StartAsync(Action<IServiceCollection> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        Capture(builder.Logging);
        configure(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>Every level to the capture; warnings and worse to the console too, for whoever reads a failed run.</summary>
    private void Capture(ILoggingBuilder logging)
    {
        logging.ClearProviders().SetMinimumLevel(LogLevel.Trace).AddProvider(Logs).AddSimpleConsole();
        logging.AddFilter<ConsoleLoggerProvider>(level => level >= LogLevel.Warning);
    }
}

[CollectionDefinition(Name)]
public sealed class SecretsCollection : ICollectionFixture<SecretsFixture>
{
    public const string Name = "secrets";
}
