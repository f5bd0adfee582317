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
using Testcontainers.RabbitMq;
using Workers.Cli;
using Workers.Functions;
using Workers.Functions.Bus;
using Workers.Functions.Store;
using Workers.HostAgent.Agent;
using Workers.Intake;
using Workers.Transport;
using Workers.Security;

namespace Workers.Integration.Tests;

/// <summary>
/// A real RabbitMQ (Testcontainers), the functions host, and two agents (host-a on 127.0.0.2, host-b on 127.0.0.3)
/// on the real Docker engine: each piece its own host with its own bus, coupled only by the broker.
/// </summary>
public class PipelineFixture : IAsyncLifetime
{
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly string _store = Path.Combine(Path.GetTempPath(), $"workers-it-{Guid.NewGuid():N}.db");
    private readonly List<IHost> _hosts = [];
    private readonly Dictionary<string, IHost> _agents = [];
    private IHost _functions = null!;

    /// <summary>The control plane's key: the functions and the intake sign commands with it, the agents trust it.</summary>
    public SigningKey ControlKey { get; } = SigningKey.Generate();

    /// <summary>Short deadlines, so that losing a host takes seconds rather than the production 30 s (ten heartbeats: a busy CI machine can delay a few).</summary>
    public static readonly TimeSpan HostTimeout = TimeSpan.FromSeconds(10);
    private RabbitMqContainer? _rabbit;

    /// <summary>Where the two agents publish their containers' ports.</summary>
    protected virtual (string A, string B) BindAddresses => ("127.0.0.2", "127.0.0.3");

    /// <summary>Whether the HTTP intake runs too (<see cref="IntakeFixture"/>).</summary>
    protected virtual bool WithIntake => false;

    public string HostA => $"a-{_suffix}";

    public string HostB => $"b-{_suffix}";

    /// <summary>The broker as a client of Workers (the CLI's user: it may publish requests and queries, nothing else).</summary>
    public Broker Broker { get; private set; } = Broker.InMemory;

    /// <summary>The broker as its administrator: for what only an operator or the tests' own observers do.</summary>
    public Broker AdminBroker { get; private set; } = Broker.InMemory;

    private Broker _functionsBroker = Broker.InMemory;
    private readonly Dictionary<string, Broker> _agentBrokers = [];

    /// <summary>The functions' store, read directly (the SQLite file they use).</summary>
    public IDeploymentStore Store => new SqlDeploymentStore(new SqliteDialect(_store));

    /// <summary>What the functions host logged (Warning and above: the hosts' minimum level).</summary>
    public LogRecorder FunctionsLog { get; } = new();

    /// <summary>What each agent logged (Warning and above), by host id; kept across restarts.</summary>
    public IReadOnlyDictionary<string, LogRecorder> AgentLogs => _agentLogs;

    private readonly Dictionary<string, LogRecorder> _agentLogs = [];

    /// <summary>Starts a host of the test's own (a bus under some user of the broker, say); the test disposes it.</summary>
    public Task<IHost> StartHostAsync(Action<IServiceCollection> configure) => StartAsync(configure);

    /// <summary>The broker as the agent of <paramref name="hostId"/> (its own user).</summary>
    public Broker AgentBroker(string hostId) => _agentBrokers[hostId];

    public IHost Client { get; private set; } = null!;

    /// <summary>The outcome events a subscriber on the bus heard.</summary>
    public Outcomes Outcomes { get; } = new();

    /// <summary>Publishes the functions host is to fail, as if it died right before them.</summary>
    public PublishFaults PublishFaults { get; } = new();

    /// <summary>Where the functions host's HTTP intake listens (Kestrel on 127.0.0.1, a free port).</summary>
    public Uri IntakeAddress { get; private set; } = null!;

    /// <summary>The API token the intake accepts.</summary>
    public string IntakeToken { get; } = "it-" + Guid.NewGuid().ToString("N");

    /// <summary>The GitHub webhook secret the intake verifies with.</summary>
    public string GitHubSecret { get; } = "gh-" + Guid.NewGuid().ToString("N");

    /// <summary>The repository whose tag pushes the intake's trigger rule deploys.</summary>
    public const string HookedRepository = "acme/hooked";

    /// <summary>The image repository the trigger rule deploys, <c>{HookedImage}:{tag}</c>; tests tag the workload image so.</summary>
    public const string HookedImage = "workers-test/hooked";

    /// <summary>The deployment the trigger rule deploys.</summary>
    public string HookedName => $"hooked-{_suffix}";

    public DockerClient Docker { get; } = new DockerClientBuilder().Build();

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

        // Every piece under a user of its own with the rights infra/rabbitmq/users.sh gives its role, as the docs
        // tell operators to run it; the administrator only for what the tests observe.
        var uri = new Uri(_rabbit.GetConnectionString());
        AdminBroker = Broker.Parse($"rabbitmq://{uri.UserInfo}@{uri.Host}:{uri.Port}/");
        var users = new BrokerUsers(_rabbit, uri);
        _functionsBroker = await users.AddAsync("functions", "workers-functions");
        Broker = await users.AddAsync("client", "workers-client");
        _agentBrokers[HostA] = await users.AddAsync("agent", HostA);
        _agentBrokers[HostB] = await users.AddAsync("agent", HostB);

        _functions = await StartFunctionsAsync();
        if (WithIntake)
        {
            _hosts.Add(await StartIntakeAsync());
        }

        _agents[HostA] = await StartAgentAsync(HostA, BindAddresses.A, "zone=eu-1");
        _agents[HostB] = await StartAgentAsync(HostB, BindAddresses.B, "zone=eu-2");
        _hosts.Add(await StartAsync(services =>
        {
            services.AddSingleton(Outcomes);
            services.AddWorkersBus(AdminBroker, bus => bus.AddConsumer<OutcomeRecorder>().Endpoint(e => e.Name = $"it-outcomes-{_suffix}"), (context, cfg) => cfg.ConfigureEndpoints(context));
        }));
        Client = await StartAsync(services => services.AddWorkersBus(Broker, _ => { }, (_, _) => { }));
        _hosts.Add(Client);

        // Both agents must have reported in before the first plan, or it would see one host.
        var client = NewClient();
        await Poll.UntilAsync(() => client.HostsAsync(CancellationToken.None), r => r.Hosts.Count(h => h.Live && (h.HostId == HostA || h.HostId == HostB)) == 2, TimeSpan.FromSeconds(60), "heartbeats of both agents");
    }

    /// <summary>Stops an agent's process as a crash would look from outside: no more heartbeats, containers left running.</summary>
    public async Task StopAgentAsync(string hostId)
    {
        var agent = _agents[hostId];
        _agents.Remove(hostId);
        await agent.StopAsync();
        agent.Dispose();
    }

    /// <summary>Stops the functions host and starts a new one on the same store and broker user, as a redeploy or a crash and restart of it would.</summary>
    public async Task RestartFunctionsAsync()
    {
        await _functions.StopAsync();
        _functions.Dispose();
        _functions = await StartFunctionsAsync();
    }

    /// <summary>Starts an agent again with the same identity.</summary>
    public async Task RestartAgentAsync(string hostId) =>
        _agents[hostId] = await StartAgentAsync(hostId, hostId == HostA ? BindAddresses.A : BindAddresses.B, hostId == HostA ? "zone=eu-1" : "zone=eu-2");

    internal WorkersClient NewClient() => new(Client.Services.GetRequiredService<IBus>(), TimeSpan.FromSeconds(30));

    /// <summary>Until <paramref name="name"/> has no deployment left and Docker runs no container of it on either host.</summary>
    internal async Task WaitUntilGoneAsync(WorkersClient client, string name, TimeSpan deadline)
    {
        await Poll.UntilAsync(() => client.StatusAsync(name, null, CancellationToken.None), r => r.Deployments.Count == 0, deadline, $"deletion of {name}");
        await Poll.UntilAsync(
            async () => (await DockerView.ContainersAsync(Docker, HostA, name)).Count + (await DockerView.ContainersAsync(Docker, HostB, name)).Count,
            count => count == 0,
            deadline,
            $"removal of {name}'s containers");
    }

    /// <summary>Until deployment <paramref name="id"/> has settled; fails unless it settled in <paramref name="state"/>.</summary>
    internal static async Task<Contracts.Messages.DeploymentStatus> WaitForStateAsync(WorkersClient client, Guid id, Contracts.Messages.DeploymentState state, TimeSpan deadline)
    {
        var reply = await Poll.UntilAsync(
            () => client.StatusAsync(null, id, CancellationToken.None),
            r => r.Deployments is [{ State: Contracts.Messages.DeploymentState.Running or Contracts.Messages.DeploymentState.Failed or Contracts.Messages.DeploymentState.Rejected or Contracts.Messages.DeploymentState.RolledBack }],
            deadline,
            $"deployment {id} settling");
        var status = reply.Deployments[0];
        Assert.True(status.State == state, $"expected {state}, got {status.State}: {status.Reason}");
        return status;
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _agents.Values.Concat(Enumerable.Reverse(_hosts)).Append(_functions).OfType<IHost>())
        {
            await host.StopAsync();
            host.Dispose();
        }

        // Whatever a failed test left behind on these hosts goes too.
        foreach (var hostId in new[] { HostA, HostB })
        {
            foreach (var container in await DockerView.ContainersAsync(Docker, hostId))
            {
                await Docker.Containers.RemoveContainerAsync(container.ID, new() { Force = true });
            }
        }

        if (_rabbit is not null)
        {
            await _rabbit.DisposeAsync();
        }

        Docker.Dispose();
        File.Delete(_store);
        foreach (var hostId in new[] { HostA, HostB })
        {
            File.Delete(AgentKeyPath(hostId));
        }
    }

    /// <summary>Where an agent of this fixture keeps its keys.</summary>
    public string AgentKeyPath(string hostId) => Path.ChangeExtension(_store, $"{hostId}.key");

    /// <summary>
    /// The HTTP intake as its own stateless instance (what src/Functions.Host adds when WORKERS_HTTP_URLS is set, /metrics too): a
    /// WebApplication whose Kestrel listens on 127.0.0.1 at a free port, publishing through its own bus and reading the
    /// functions' store, with a trigger rule for tag pushes of <see cref="HookedRepository"/>.
    /// </summary>
    private async Task<IHost> StartIntakeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Workers:HostTimeout"] = HostTimeout.ToString(),
            ["WORKERS_HTTP_URLS"] = "http://127.0.0.1:0",
            ["WORKERS_API_TOKENS"] = IntakeToken,
            ["WORKERS_GITHUB_SECRET"] = GitHubSecret,
            ["Workers:Intake:Triggers:0:Repository"] = HookedRepository,
            ["Workers:Intake:Triggers:0:Event"] = "push",
            ["Workers:Intake:Triggers:0:Ref"] = "refs/tags/v*",
            ["Workers:Intake:Triggers:0:Image"] = HookedImage + ":{tag}",
            ["Workers:Intake:Triggers:0:Spec"] = $"name: {HookedName}\nimage: {TestImages.Workload}\nports:\n  - container: 8080\nresources:\n  memory: 16Mi\n",
        });
        builder.Logging.ClearProviders().AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(ControlKey);
        builder.Services.AddWorkersHandlers(_ => new SqliteDialect(_store));
        builder.Services.AddWorkersBus(_functionsBroker, _ => { }, (_, _) => { });
        builder.Services.AddWorkersBusDispatcher();
        builder.AddWorkersHttpIntake();
        builder.AddWorkersFunctionsTelemetry();
        var app = builder.Build();
        app.MapWorkersIntake();
        app.MapWorkersMetrics();
        await app.StartAsync();
        IntakeAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        return app;
    }

    private Task<IHost> StartFunctionsAsync() => StartAsync(services =>
    {
        services.AddWorkersHandlers(_ => new SqliteDialect(_store));
        services.AddSingleton<ILoggerProvider>(FunctionsLog);
        services.AddSingleton(PublishFaults);
        services.AddWorkersBus(_functionsBroker, bus => bus.AddWorkersFunctionConsumers(), (context, cfg) =>
        {
            cfg.UsePublishFilter(typeof(PublishFaultFilter<>), context);
            cfg.ConfigureEndpoints(context);
        });
        services.AddWorkersSweep().AddWorkersEventLog();
    });

    private Task<IHost> StartAgentAsync(string hostId, string bindAddress, string labels)
    {
        var settings = new Dictionary<string, string?>
        {
            ["WORKERS_HOST_ID"] = hostId,
            ["WORKERS_BIND_ADDRESS"] = bindAddress,
            ["WORKERS_HOST_LABELS"] = labels,
            ["WORKERS_HEARTBEAT_INTERVAL"] = "1s",
            ["WORKERS_STOP_GRACE"] = "2s",
            // FixedPorts.Free() picks fixed host ports in 10000-19999, outside an agent's default range.
            ["WORKERS_HOST_PORTS_ALLOWED"] = "10000-19999",
            ["WORKERS_CONTROL_KEYS"] = ControlKey.PublicKey.Base64,
            // Kept across a restart of the agent: the functions pinned its key at its first heartbeat.
            ["WORKERS_AGENT_KEY"] = AgentKeyPath(hostId),
        };
        if (!AgentOptions.TryRead(key => settings.GetValueOrDefault(key), out var options, out var errors))
        {
            throw new InvalidOperationException(string.Join("; ", errors));
        }

        return StartAsync(services =>
        {
            services.AddSingleton<ILoggerProvider>(_agentLogs.TryGetValue(hostId, out var log) ? log : _agentLogs[hostId] = new LogRecorder());
            // The agent as it runs on a host: RabbitMQ.Client, no MassTransit (src/HostAgent.Amqp).
            services.AddWorkersAgentAmqp(_agentBrokers[hostId], options);
            services.AddWorkersAgent(options);
        });
    }

    private async Task<IHost> StartAsync(Action<IServiceCollection> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Workers:HostTimeout"] = HostTimeout.ToString(),
            ["Workers:OrphanGrace"] = "00:00:05",
            ["Workers:SweepInterval"] = "00:00:01",
            // An outcome a test hears came with its handler's effects or a redelivery, never the sweep's late republish.
            ["Workers:OutboxGrace"] = "01:00:00",
        });
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(ControlKey);
        configure(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}

[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<PipelineFixture>
{
    public const string Name = "pipeline";
}

/// <summary>
/// A pipeline of its own (own broker, store and hosts on 127.0.0.7 and 127.0.0.8) with the HTTP intake in front, for
/// the tests that come in from outside: what they deploy never shows up in the other suites' hosts.
/// </summary>
public sealed class IntakeFixture : PipelineFixture
{
    protected override (string A, string B) BindAddresses => ("127.0.0.7", "127.0.0.8");

    protected override bool WithIntake => true;
}

[CollectionDefinition(Name)]
public sealed class IntakeCollection : ICollectionFixture<IntakeFixture>
{
    public const string Name = "intake";
}
