using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Docker.DotNet;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Networks;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;
using Workers.Contracts.Messages;
using Workers.Functions.Store;
using Workers.Transport;

namespace Workers.FaultInjection.Tests;

/// <summary>
/// The whole system as separate real pieces: a three-node RabbitMQ cluster and PostgreSQL in containers, two functions
/// hosts and three agents as their own processes (the built Workers.Functions.Host.dll, and the agent compiled ahead of
/// time when WORKERS_TEST_AGENT names it, else the built Workers.HostAgent.dll), all
/// on the real Docker engine, and an in-process client bus; every process and the client are given all three nodes. Every piece can be killed and started again; disposal removes it all.
/// </summary>
internal sealed class FaultCluster : IAsyncDisposable
{
    /// <summary>Short deadlines, so that a lost host is replaced in seconds.</summary>
    public static readonly TimeSpan HostTimeout = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan CommandTimeToLive = TimeSpan.FromSeconds(15);

    /// <summary>How long a replica may stay pending before the functions replace it.</summary>
    public static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(20);

    /// <summary>How long the functions leave an unwanted container before removing it.</summary>
    public static readonly TimeSpan OrphanGrace = TimeSpan.FromSeconds(3);

    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    private static readonly string[] BindAddresses = ["127.0.0.4", "127.0.0.5", "127.0.0.6"];

    private readonly List<ManagedProcess> _functions = [];
    private readonly Dictionary<string, ManagedProcess> _agents = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<StartReplicas> _captured = new();
    private readonly ConcurrentQueue<CapturedEvent> _events = new();
    private readonly Action<string> _log;
    private readonly List<TcpListener> _outsiders = [];
    private readonly List<RabbitMqContainer> _rabbits = [];
    private readonly List<string> _nodeNames = [];
    private readonly List<string> _nodeAmqp = [];
    private INetwork? _network;
    private PostgreSqlContainer? _postgres;
    private PostgresDialect? _dialect;
    private IHost? _client;

    private FaultCluster(string suffix, string logDirectory, Action<string> log)
    {
        HostIds = [$"fa-{suffix}", $"fb-{suffix}", $"fc-{suffix}"];
        LogDirectory = logDirectory;
        _log = log;
    }

    public IReadOnlyList<string> HostIds { get; }

    public string LogDirectory { get; }

    public DockerClient Docker { get; } = new DockerClientBuilder().Build();

    public IDeploymentStore Store { get; private set; } = null!;

    public IBus Bus => _client!.Services.GetRequiredService<IBus>();

    public int FunctionsCount => _functions.Count;

    /// <summary>
    /// Fixed host ports the scenario's deployments share: the first is held on the first host's bind address and the
    /// second on the second's by a process outside Workers (<see cref="HeldOutside"/>), the third by nobody.
    /// </summary>
    public IReadOnlyList<int> FixedPorts { get; private set; } = [];

    /// <summary>The (address, port) pairs listeners of the test's own, outside Workers, hold for the whole run.</summary>
    public IReadOnlyList<(string Address, int Port)> HeldOutside { get; private set; } = [];

    /// <summary>The bind address of each agent, in the order of <see cref="HostIds"/>.</summary>
    public static IReadOnlyList<string> HostBindAddresses => BindAddresses;

    /// <summary>The RabbitMQ cluster's nodes (<c>rabbit@host</c>), in the order every process's <c>WORKERS_BROKER</c> lists them.</summary>
    public IReadOnlyList<string> BrokerNodes => _nodeNames;

    /// <summary>Start commands seen on the hosts' exchanges (a copy, bound beside each agent's queue), to deliver again.</summary>
    public IReadOnlyCollection<StartReplicas> CapturedStarts => _captured;

    /// <summary>Every <see cref="DeploymentAccepted"/>, <see cref="ReplicaStarted"/> and <see cref="ReplicaFailed"/> published, as seen by a queue of the test's own.</summary>
    public IReadOnlyCollection<CapturedEvent> Events => _events;

    /// <param name="suffix">Makes the host ids and the log directory unique to the run.</param>
    /// <param name="log">Where the cluster says what it does.</param>
    /// <param name="configureAgent">
    /// Changes the settings of the agent <c>HostIds[index]</c> before it first starts (its broker address, say); they
    /// hold for every later start too.
    /// </param>
    public static async Task<FaultCluster> StartAsync(string suffix, Action<string> log, Action<int, IDictionary<string, string>>? configureAgent = null)
    {
        var root = RepositoryRoot();
        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)))!;
        var logDirectory = LogDirectoryFor(suffix);
        var cluster = new FaultCluster(suffix, logDirectory, log);
        try
        {
            await cluster.InitializeAsync(root, configuration, configureAgent);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Where a run's process logs go: under the test results directory of scripts/test.sh.</summary>
    public static string LogDirectoryFor(string suffix)
    {
        var directory = Path.Combine(RepositoryRoot(), "artifacts", "test-results", "fault-injection", suffix);
        Directory.CreateDirectory(directory);
        return directory;
    }

    private async Task InitializeAsync(string root, string configuration, Action<int, IDictionary<string, string>>? configureAgent)
    {
        try
        {
            await Docker.System.PingAsync();
        }
        catch (Exception e) when (e is HttpRequestException or IOException or DockerApiException or TimeoutException)
        {
            throw new InvalidOperationException($"The fault-injection suite needs a running Docker engine, and it is not reachable: {e.Message}. {TestImages.HowToGetThem}.", e);
        }

        var functionsDll = Path.Combine(root, "src", "Functions.Host", "bin", configuration, "net10.0", "Workers.Functions.Host.dll");
        // The agent as it ships, compiled ahead of time, when scripts/test.sh has published it (WORKERS_TEST_AGENT);
        // otherwise the same code as built.
        var agentProgram = Environment.GetEnvironmentVariable("WORKERS_TEST_AGENT") is { Length: > 0 } published
            ? published
            : Path.Combine(root, "src", "HostAgent", "bin", configuration, "net10.0", "Workers.HostAgent.dll");
        foreach (var program in new[] { functionsDll, agentProgram })
        {
            if (!File.Exists(program))
            {
                throw new InvalidOperationException($"{program} is missing: build Workers.sln in {configuration} first (and, for WORKERS_TEST_AGENT, publish the agent: scripts/test.sh does).");
            }
        }

        // Three RabbitMQ nodes on one network, each on a fixed host port (so that a restarted node comes back where
        // every client expects it), sharing one Erlang cookie; the second and third join the first.
        var suffix = Path.GetFileName(LogDirectory);
        _network = new NetworkBuilder().WithName($"workers-fault-{suffix}-{Guid.NewGuid():N}"[..40]).Build();
        await _network.CreateAsync();
        var cookie = Guid.NewGuid().ToString("N");
        var amqpPorts = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            var name = $"rmq{i}-{suffix}".ToLowerInvariant();
            var port = FreePort();
            _nodeNames.Add($"rabbit@{name}");
            amqpPorts.Add(port);
            _rabbits.Add(new RabbitMqBuilder(TestImages.RabbitMq)
                .WithNetwork(_network)
                .WithHostname(name)
                .WithNetworkAliases(name)
                .WithPortBinding(port, 5672)
                .WithEntrypoint("/bin/sh", "-c", $"[ -s \"$HOME/.erlang.cookie\" ] || {{ printf %s {cookie} > \"$HOME/.erlang.cookie\"; chmod 400 \"$HOME/.erlang.cookie\"; }}; exec /usr/local/bin/docker-entrypoint.sh rabbitmq-server")
                .Build());
        }

        _postgres = new PostgreSqlBuilder(TestImages.Postgres).Build();
        try
        {
            await Task.WhenAll(_rabbits.Select(r => r.StartAsync()).Append(_postgres.StartAsync()));
            for (var i = 1; i < _rabbits.Count; i++)
            {
                foreach (var command in new[] { new[] { "rabbitmqctl", "stop_app" }, ["rabbitmqctl", "join_cluster", _nodeNames[0]], ["rabbitmqctl", "start_app"] })
                {
                    var result = await _rabbits[i].ExecAsync(command);
                    if (result.ExitCode != 0)
                    {
                        throw new InvalidOperationException($"{string.Join(' ', command)} on {_nodeNames[i]} failed ({result.ExitCode}): {result.Stderr}{result.Stdout}");
                    }
                }
            }

            var running = await RunningNodesAsync(0);
            if (running.Count != 3)
            {
                throw new InvalidOperationException($"the RabbitMQ cluster runs {running.Count} nodes, not 3: {string.Join(", ", running)}");
            }
        }
        catch (Exception e) when (e is DotNet.Testcontainers.Builders.DockerUnavailableException or DockerApiException or TimeoutException)
        {
            throw new InvalidOperationException($"RabbitMQ ({TestImages.RabbitMq}) or PostgreSQL ({TestImages.Postgres}) could not be started: {e.Message}. An Engine 20.10 needs DOCKER_API_VERSION=1.41; {TestImages.HowToGetThem}.", e);
        }

        var amqp = new Uri(_rabbits[0].GetConnectionString());
        var brokerSetting = $"rabbitmq://{amqp.UserInfo}@{string.Join(',', amqpPorts.Select(p => $"127.0.0.1:{p}"))}/";
        var broker = Broker.Parse(brokerSetting);
        _nodeAmqp.AddRange(amqpPorts.Select(p => $"amqp://{amqp.UserInfo}@127.0.0.1:{p}/"));
        var storeSetting = _postgres.GetConnectionString();
        _dialect = new PostgresDialect(storeSetting);
        Store = new SqlDeploymentStore(_dialect);
        _log($"broker {broker}, store postgres on port {_postgres.GetMappedPublicPort(5432)}, logs in {LogDirectory}");

        var logging = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        };
        // Both function instances sign with one key (as scaled-out functions must); every agent trusts it and keeps its
        // own key in a file, so that an agent killed and started again is the host the functions pinned.
        var controlKey = Path.Combine(LogDirectory, "control.key");
        using (var key = Security.ControlPlaneKey.Load(controlKey))
        {
            _log($"control key {key.PublicKey.KeyId}");
        }

        for (var i = 0; i < 2; i++)
        {
            var settings = new Dictionary<string, string>(logging)
            {
                ["WORKERS_SIGNING_KEY"] = controlKey,
                ["WORKERS_BROKER"] = brokerSetting,
                ["WORKERS_STORE"] = storeSetting,
                ["Workers__HostTimeout"] = HostTimeout.ToString(),
                ["Workers__CommandTimeToLive"] = CommandTimeToLive.ToString(),
                ["Workers__StartDeadline"] = StartDeadline.ToString(),
                ["Workers__StopDeadline"] = "00:00:15",
                ["Workers__OrphanGrace"] = OrphanGrace.ToString(),
                ["Workers__SweepInterval"] = SweepInterval.ToString(),
            };
            var process = new ManagedProcess($"functions-{i}", functionsDll, settings, Path.Combine(LogDirectory, $"functions-{i}.log"));
            _functions.Add(process);
            process.Start();
        }

        // Processes outside Workers holding host ports, there before any agent starts (so every heartbeat reports
        // them): two of the three fixed ports the scenario shares, each on one host's bind address.
        FixedPorts = [FreePort(), FreePort(), FreePort()];
        var held = new List<(string Address, int Port)>();
        for (var i = 0; i < 2; i++)
        {
            var listener = new TcpListener(IPAddress.Parse(BindAddresses[i]), FixedPorts[i]);
            listener.Start();
            _outsiders.Add(listener);
            held.Add((BindAddresses[i], FixedPorts[i]));
        }

        HeldOutside = held;
        _log($"fixed host ports {string.Join(", ", FixedPorts)}; held outside Workers: {string.Join(", ", HeldOutside.Select(h => $"{h.Address}:{h.Port}"))}");

        for (var i = 0; i < HostIds.Count; i++)
        {
            var settings = new Dictionary<string, string>(logging)
            {
                ["WORKERS_BROKER"] = brokerSetting,
                ["WORKERS_HOST_ID"] = HostIds[i],
                ["WORKERS_CONTROL_KEYS"] = Path.ChangeExtension(controlKey, ".pub"),
                ["WORKERS_AGENT_KEY"] = Path.Combine(LogDirectory, $"agent-{HostIds[i]}.key"),
                ["WORKERS_BIND_ADDRESS"] = BindAddresses[i],
                ["WORKERS_HOST_LABELS"] = $"slot={i}",
                ["WORKERS_HEARTBEAT_INTERVAL"] = "1s",
                ["WORKERS_STOP_GRACE"] = "1s",
                // The fixed ports are the OS's free ones, outside the agents' default range: allowed by name, or every
                // deployment asking for one would be refused and the shared fixed ports never tested.
                ["WORKERS_HOST_PORTS_ALLOWED"] = string.Join(',', FixedPorts),
            };
            configureAgent?.Invoke(i, settings);
            var process = new ManagedProcess(HostIds[i], agentProgram, settings, Path.Combine(LogDirectory, $"agent-{HostIds[i]}.log"));
            _agents[HostIds[i]] = process;
            process.Start();
        }

        _client = await StartClientAsync(broker);

        // Every agent must be heard (so the functions are up, migrated and consuming) before the first plan.
        await WaitForHeartbeatsAsync(TimeSpan.FromSeconds(120));
    }

    /// <summary>Until the store has a fresh heartbeat of every agent: the functions consume and every agent publishes.</summary>
    public Task WaitForHeartbeatsAsync(TimeSpan deadline) =>
        Poll.UntilAsync(
            () => Store.GetHostsAsync(CancellationToken.None),
            hosts => HostIds.All(id => hosts.Any(h => h.Heartbeat.HostId == id && DateTimeOffset.UtcNow - h.ReceivedAt < HostTimeout / 2)),
            deadline,
            "fresh heartbeats of all three agents in the store");

    /// <summary>
    /// Until the store has, from every agent, a heartbeat sent after <paramref name="since"/>: each agent publishes
    /// again and the functions consume again (after a broker node is lost, through the survivors).
    /// </summary>
    public Task WaitForHeartbeatsSinceAsync(DateTimeOffset since, TimeSpan deadline) =>
        Poll.UntilAsync(
            () => Store.GetHostsAsync(CancellationToken.None),
            hosts => HostIds.All(id => hosts.Any(h => h.Heartbeat.HostId == id && h.Heartbeat.Timestamp > since)),
            deadline,
            $"a heartbeat of every agent sent after {since:HH:mm:ss.fff} in the store");

    /// <summary>Until the store has a heartbeat the agent sent after its current incarnation started.</summary>
    public Task WaitForAgentHeardAsync(string hostId, TimeSpan deadline)
    {
        var since = _agents[hostId].StartedAt;
        return Poll.UntilAsync(
            () => Store.GetHostsAsync(CancellationToken.None),
            hosts => hosts.Any(h => h.Heartbeat.HostId == hostId && h.Heartbeat.Timestamp > since),
            deadline,
            $"a heartbeat of {hostId} sent after its start at {since:HH:mm:ss.fff}");
    }

    /// <summary>The agents whose newest heartbeat in the store was sent before their current incarnation started.</summary>
    public async Task<IReadOnlyList<string>> AgentsNotHeardSinceStartAsync()
    {
        var hosts = await Store.GetHostsAsync(CancellationToken.None);
        return [.. _agents.Where(a => !hosts.Any(h => h.Heartbeat.HostId == a.Key && h.Heartbeat.Timestamp > a.Value.StartedAt)).Select(a => a.Key)];
    }

    /// <summary>SIGKILL of an agent; its containers keep running, as after a real crash. True when its exit was seen.</summary>
    public Task<bool> KillAgentAsync(string hostId) => _agents[hostId].KillAsync();

    public void StartAgent(string hostId) => _agents[hostId].Start();

    /// <summary>SIGKILL of a functions host; true when its exit was seen.</summary>
    public Task<bool> KillFunctionsAsync(int index) => _functions[index].KillAsync();

    public void StartFunctions(int index) => _functions[index].Start();

    public bool FunctionsRunning(int index) => _functions[index].IsRunning;

    /// <summary>
    /// The broker's error queues (MassTransit's <c>&lt;queue&gt;_error</c>) that hold messages, with their counts, as
    /// <c>rabbitmqctl</c> inside the broker's container lists them.
    /// </summary>
    public async Task<IReadOnlyList<string>> NonEmptyErrorQueuesAsync()
    {
        var listed = await ExecOnAnyNodeAsync(["rabbitmqctl", "list_queues", "--quiet", "--no-table-headers", "name", "messages"]);
        if (listed.ExitCode != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl list_queues failed ({listed.ExitCode}): {listed.Stderr}");
        }

        return [.. listed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('\t', ' '))
            .Where(columns => columns.Length >= 2 && columns[0].EndsWith("_error", StringComparison.Ordinal) && columns[^1] != "0")
            .Select(columns => $"{columns[0]}={columns[^1]}")];
    }

    /// <summary>
    /// Every queue with its ready and unacknowledged messages and its consumers, one line each, for the log of a run
    /// that failed: a queue with messages and no consumer names the piece that stopped reading.
    /// </summary>
    public async Task<string> QueueStateAsync()
    {
        var listed = await ExecOnAnyNodeAsync(["rabbitmqctl", "list_queues", "--quiet", "--no-table-headers", "name", "messages_ready", "messages_unacknowledged", "consumers"]);
        return listed.ExitCode == 0
            ? "queues (name ready unacked consumers):\n" + listed.Stdout.TrimEnd()
            : $"rabbitmqctl list_queues failed ({listed.ExitCode}): {listed.Stderr}";
    }

    /// <summary>
    /// What the store's sessions were doing (read inside the PostgreSQL container, so it answers even when connections
    /// from outside do not) and the machine's load: to tell a store that is slow or locked from consumers that stopped.
    /// </summary>
    public async Task<string> StoreActivityAsync()
    {
        if (_postgres is null)
        {
            return "no store";
        }

        const string Query = "SELECT count(*) OVER () AS sessions, state, wait_event_type, wait_event, extract(epoch FROM now() - xact_start)::int AS xact_s, extract(epoch FROM now() - query_start)::int AS query_s, left(regexp_replace(query, '\\s+', ' ', 'g'), 100) AS query FROM pg_stat_activity WHERE backend_type = 'client backend' ORDER BY xact_start NULLS LAST LIMIT 40";
        var listed = await _postgres.ExecAsync(["psql", "-U", "postgres", "-At", "-F", " | ", "-c", Query]);
        var load = await File.ReadAllTextAsync("/proc/loadavg");
        return listed.ExitCode == 0
            ? $"load {load.Trim()}; store sessions (sessions | state | wait type | wait | xact s | query s | query):\n{listed.Stdout.TrimEnd()}"
            : $"load {load.Trim()}; psql in the store's container failed ({listed.ExitCode}): {listed.Stderr}";
    }

    /// <summary>
    /// Restarts every node of the broker cluster at once, in place (same ports, same durable queues), and waits until
    /// each speaks AMQP again. True when Docker reports a new start of every node's container and every node answered.
    /// </summary>
    public async Task<bool> RestartBrokerAsync()
    {
        var restarted = await Task.WhenAll(Enumerable.Range(0, _rabbits.Count).Select(async i =>
        {
            var before = (await Docker.Containers.InspectContainerAsync(_rabbits[i].Id)).State?.StartedAt;
            await Docker.Containers.RestartContainerAsync(_rabbits[i].Id, new ContainerRestartParameters { WaitBeforeKillSeconds = 10 });
            return before;
        }));
        await Task.WhenAll(Enumerable.Range(0, _rabbits.Count).Select(i => WaitForAmqpAsync(i, TimeSpan.FromSeconds(180))));
        for (var i = 0; i < _rabbits.Count; i++)
        {
            var after = (await Docker.Containers.InspectContainerAsync(_rabbits[i].Id)).State?.StartedAt;
            if (after is null || after == restarted[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>SIGKILLs one broker node's container. True when it was running and Docker reports it stopped.</summary>
    public async Task<bool> KillBrokerNodeAsync(int index)
    {
        var state = (await Docker.Containers.InspectContainerAsync(_rabbits[index].Id)).State;
        if (state?.Running != true)
        {
            return false;
        }

        await Docker.Containers.KillContainerAsync(_rabbits[index].Id, new ContainerKillParameters { Signal = "SIGKILL" });
        await Poll.UntilAsync(
            async () => (await Docker.Containers.InspectContainerAsync(_rabbits[index].Id)).State?.Running,
            running => running == false,
            TimeSpan.FromSeconds(30),
            $"broker node {_nodeNames[index]} stopped");
        return true;
    }

    /// <summary>
    /// Starts a killed broker node's container again and waits until it answers AMQP and a surviving node's
    /// <c>rabbitmqctl cluster_status</c> lists it running: it rejoined the cluster. True when both were seen.
    /// </summary>
    public async Task<bool> StartBrokerNodeAsync(int index)
    {
        await Docker.Containers.StartContainerAsync(_rabbits[index].Id, new ContainerStartParameters());
        await WaitForAmqpAsync(index, TimeSpan.FromSeconds(180));
        var survivor = (index + 1) % _rabbits.Count;
        var running = await Poll.UntilAsync(
            () => RunningNodesAsync(survivor),
            nodes => nodes.Contains(_nodeNames[index], StringComparer.Ordinal) && nodes.Count == _rabbits.Count,
            TimeSpan.FromSeconds(120),
            $"{_nodeNames[index]} listed running by {_nodeNames[survivor]}");
        return running.Contains(_nodeNames[index], StringComparer.Ordinal);
    }

    /// <summary>The nodes one node's <c>rabbitmqctl cluster_status</c> lists as running.</summary>
    public async Task<IReadOnlyList<string>> RunningNodesAsync(int index)
    {
        var status = await _rabbits[index].ExecAsync(["rabbitmqctl", "cluster_status", "--formatter", "json"]);
        if (status.ExitCode != 0)
        {
            return [];
        }

        var json = status.Stdout[status.Stdout.IndexOf('{', StringComparison.Ordinal)..];
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return [.. document.RootElement.GetProperty("running_nodes").EnumerateArray().Select(n => n.GetString()!)];
    }

    /// <summary>
    /// The quorum queues that are not replicated on all three nodes, as <c>name=members</c>, and the durable queues
    /// that are not quorum queues at all (a classic queue lives on one node): on a three-node cluster every durable
    /// queue must have three members, or losing a node could lose what it held. Auto-delete queues (a bus's own
    /// reply queue) are declared again by their client on reconnect and hold nothing that must survive.
    /// </summary>
    public async Task<(int QuorumQueues, IReadOnlyList<string> ShortOfMembers, IReadOnlyList<string> NotQuorum)> QuorumQueueMembersAsync()
    {
        var listed = await ExecOnAnyNodeAsync(["rabbitmqctl", "list_queues", "--quiet", "--formatter", "json", "name", "type", "durable", "auto_delete", "members"]);
        if (listed.ExitCode != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl list_queues failed ({listed.ExitCode}): {listed.Stderr}");
        }

        using var document = System.Text.Json.JsonDocument.Parse(listed.Stdout[listed.Stdout.IndexOf('[', StringComparison.Ordinal)..]);
        var quorum = document.RootElement.EnumerateArray().Where(q => q.GetProperty("type").GetString() == "quorum").ToList();
        var notQuorum = document.RootElement.EnumerateArray()
            .Where(q => q.GetProperty("type").GetString() != "quorum" && q.GetProperty("durable").GetBoolean() && !q.GetProperty("auto_delete").GetBoolean())
            .Select(q => $"{q.GetProperty("name").GetString()} ({q.GetProperty("type").GetString()})")
            .ToList();
        return (quorum.Count, [.. quorum
            .Where(q => q.GetProperty("members").GetArrayLength() != _rabbits.Count)
            .Select(q => $"{q.GetProperty("name").GetString()}={q.GetProperty("members").GetArrayLength()}")], notQuorum);
    }

    private async Task<DotNet.Testcontainers.Containers.ExecResult> ExecOnAnyNodeAsync(IList<string> command)
    {
        DotNet.Testcontainers.Containers.ExecResult last = default;
        foreach (var rabbit in _rabbits)
        {
            if ((await Docker.Containers.InspectContainerAsync(rabbit.Id)).State?.Running != true)
            {
                continue;
            }

            last = await rabbit.ExecAsync(command);
            if (last.ExitCode == 0)
            {
                return last;
            }
        }

        return last;
    }

    /// <summary>Until the node finishes an AMQP handshake: Docker's port proxy accepts connections before RabbitMQ listens.</summary>
    private Task WaitForAmqpAsync(int index, TimeSpan deadline)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(_nodeAmqp[index]) };
        return Poll.UntilAsync(
            async () =>
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await using var connection = await factory.CreateConnectionAsync(attempt.Token);
                return connection.IsOpen;
            },
            open => open,
            deadline,
            $"broker node {_nodeNames[index]} accepting AMQP connections",
            TimeSpan.FromMilliseconds(500));
    }

    /// <summary>Sends a command to a host's exchange again, as a redelivery would.</summary>
    public async Task SendToHostAsync(string hostId, object command, CancellationToken cancellationToken)
    {
        var endpoint = await Bus.GetSendEndpoint(Queues.HostAddress(Bus.Address, hostId));
        await endpoint.Send(command, command.GetType(), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _agents.Values.Concat(_functions))
        {
            await Quietly(() => process.DisposeAsync().AsTask());
        }

        if (_client is not null)
        {
            await Quietly(async () =>
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await _client.StopAsync(stop.Token);
            });
            _client.Dispose();
        }

        // Every container the three agents made, and anything with their host ids in its name.
        await Quietly(async () =>
        {
            var all = await Docker.Containers.ListContainersAsync(new ContainersListParameters { All = true });
            foreach (var container in all.Where(c => HostIds.Any(id =>
                         (c.Labels?.TryGetValue("workers.host", out var host) == true && host == id) || c.Names.Any(n => n.EndsWith($".{id}", StringComparison.Ordinal)))))
            {
                await Quietly(() => Docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true }));
            }
        });

        foreach (var listener in _outsiders)
        {
            listener.Dispose();
        }

        foreach (var rabbit in _rabbits)
        {
            await Quietly(() => rabbit.DisposeAsync().AsTask());
        }

        if (_network is not null)
        {
            await Quietly(() => _network.DisposeAsync().AsTask());
        }

        if (_postgres is not null)
        {
            await Quietly(() => _postgres.DisposeAsync().AsTask());
        }

        _dialect?.Dispose();
        Docker.Dispose();
    }

    private async Task<IHost> StartClientAsync(Broker broker)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        // The client's reconnect warnings during broker restarts are expected; the test reports what matters.
        builder.Logging.ClearProviders();
        builder.Services.AddWorkersBus(broker, _ => { }, (_, cfg) =>
        {
            foreach (var hostId in HostIds)
            {
                cfg.ReceiveEndpoint($"fault-capture.{hostId}", endpoint =>
                {
                    // Quorum queues like Workers' own: a classic queue on a killed node would miss what it should copy.
                    endpoint.ApplyWorkersEndpointPolicy();
                    endpoint.ConfigureConsumeTopology = false;
                    if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
                    {
                        rabbit.Bind(Queues.Host(hostId));
                    }

                    endpoint.Handler<StartReplicas>(context =>
                    {
                        _captured.Enqueue(context.Message);
                        return Task.CompletedTask;
                    });
                });
            }

            // A queue of its own bound to the events' exchanges: a copy of each, the functions' own queues untouched.
            cfg.ReceiveEndpoint($"fault-capture.events.{HostIds[0]}", endpoint =>
            {
                endpoint.ApplyWorkersEndpointPolicy();
                endpoint.Handler<DeploymentAccepted>(context => Capture(context.Message, context.Message.CorrelationId));
                endpoint.Handler<ReplicaStarted>(context => Capture(context.Message, context.Message.CorrelationId));
                endpoint.Handler<ReplicaFailed>(context => Capture(context.Message, context.Message.CorrelationId));
            });
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private Task Capture(object message, Guid correlationId)
    {
        _events.Enqueue(new CapturedEvent(message, correlationId, DateTimeOffset.UtcNow));
        return Task.CompletedTask;
    }

    private async Task Quietly(Func<Task> cleanup)
    {
        try
        {
            await cleanup();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Disposal goes on with the rest: one stuck piece must not leave the others behind.
            _log($"cleanup: {e.GetType().Name}: {e.Message}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Workers.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"Workers.sln not found above {AppContext.BaseDirectory}");
    }
}

/// <summary>An event the test's own queue received, and when.</summary>
internal sealed record CapturedEvent(object Message, Guid CorrelationId, DateTimeOffset SeenAt);
