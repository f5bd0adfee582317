using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Workers.Contracts.Messages;
using Workers.Functions;
using Workers.Functions.Bus;
using Workers.Functions.Store;
using Workers.Transport;

namespace Workers.Bench.Throughput;

/// <summary>What one Workers round measured.</summary>
internal sealed record WorkersResult(
    int Round,
    bool Completed,
    double Seconds,
    int Succeeded,
    IReadOnlyDictionary<Guid, string> Failures,
    int StartCommands,
    IReadOnlyList<string> HostsUsed,
    int StopCommands,
    int HeartbeatsInWindow,
    double HostsReadySeconds,
    IReadOnlyDictionary<string, uint> LeftInQueues,
    CpuSample Cpu,
    IReadOnlyList<StatementCost> Statements,
    DatabaseCounts Database,
    IReadOnlyList<TableReads> Tables,
    long AllocatedBytes,
    int Gen2Collections,
    TimeSpan GcPause)
{
    public int Replicas(int perDeployment) => Succeeded * perDeployment;

    /// <summary>Every message this round put through the broker in the timed window (see RawBrokerSide for the shape).</summary>
    public long Messages(int deployments, int replicas) => deployments * 3L + StartCommands + (2L * deployments * replicas) + HeartbeatsInWindow;
}

/// <summary>
/// The Workers side: the real functions in this process (the registration of Functions.Host: handlers, store, bus
/// with every function consumer on its queue, sweep) on a fresh PostgreSQL database per round, the simulated hosts on
/// a bus of their own, and the outcome subscriber. Times the first DeploymentRequested published to the last outcome.
/// </summary>
internal sealed class WorkersSide : IAsyncDisposable
{
    /// <summary>The functions' default host timeout over the agent's default heartbeat interval (30 s over 5 s).</summary>
    private const int HostTimeoutPerHeartbeat = 6;

    private static readonly string[] FunctionQueues = [Queues.Validate, Queues.Plan, Queues.Track, Queues.Inventory, Queues.Delete, Queues.Query];

    private readonly BenchInfrastructure _infrastructure;
    private readonly ThroughputOptions _options;
    private readonly SimulatedHosts _hosts;
    private readonly Outcomes _outcomes = new();
    private IHost? _harness;

    private WorkersSide(BenchInfrastructure infrastructure, ThroughputOptions options)
    {
        _infrastructure = infrastructure;
        _options = options;
        _hosts = new SimulatedHosts(options.Hosts);
    }

    /// <summary>Seconds the simulated hosts took to declare and start reading their queues.</summary>
    public double HostsStartSeconds { get; private set; }

    public IReadOnlyList<SimulatedHost> Hosts => _hosts.Hosts;

    public static async Task<WorkersSide> StartAsync(BenchInfrastructure infrastructure, ThroughputOptions options, CancellationToken cancellationToken)
    {
        var side = new WorkersSide(infrastructure, options);
        side._harness = await StartHostAsync(services =>
            services.AddWorkersBus(infrastructure.Broker, _ => { }, (_, cfg) => side._outcomes.ConfigureEndpoint(cfg)), cancellationToken);
        var clock = Stopwatch.StartNew();
        await side._hosts.StartAsync(infrastructure.Broker, infrastructure.Amqp, cancellationToken);
        side.HostsStartSeconds = clock.Elapsed.TotalSeconds;
        return side;
    }

    public Task<WorkersResult> RunAsync(int round, CancellationToken cancellationToken) =>
        RunAsync(round, _options.Deployments, cancellationToken);

    /// <summary>
    /// An untimed round of <see cref="ThroughputOptions.WarmUpDeployments"/> first, as a functions host that has run
    /// for a while would be: the JIT has compiled (and recompiled, with its profile) every path of the pipeline. In a
    /// first round of the full load, that compilation took about a fifth of this process's CPU.
    /// </summary>
    public Task<WorkersResult> WarmUpAsync(CancellationToken cancellationToken) =>
        RunAsync(0, _options.WarmUpDeployments, cancellationToken);

    private async Task<WorkersResult> RunAsync(int round, int deploymentCount, CancellationToken cancellationToken)
    {
        var database = $"bench_throughput_{round}";
        var connectionString = await _infrastructure.CreateDatabaseAsync(database, cancellationToken);
        await _infrastructure.PurgeAsync([.. FunctionQueues, Outcomes.Queue, .. _hosts.Queues], cancellationToken);
        _hosts.Reset();
        var errorsBefore = await ErrorDepthsAsync(cancellationToken);

        var functions = await StartHostAsync(services =>
        {
            services.AddWorkersHandlers(_ => new PostgresDialect(connectionString));
            // The host timeout keeps its ratio to the heartbeat interval (30 s to 5 s by default): with slower heartbeats
            // (--heartbeat-seconds) a host must not pass for lost between two of them, and its replicas be replaced.
            services.PostConfigure<FunctionsOptions>(o => o.HostTimeout = TimeSpan.FromTicks(Math.Max(o.HostTimeout.Ticks, _options.HeartbeatInterval.Ticks * HostTimeoutPerHeartbeat)));
            services.AddWorkersBus(_infrastructure.Broker, bus => bus.AddWorkersFunctionConsumers(), (context, cfg) => cfg.ConfigureEndpoints(context));
            services.AddWorkersSweep();
        }, cancellationToken);

        var bus = _harness!.Services.GetRequiredService<IBus>();
        var heartbeats = 0;
        using var stopHeartbeats = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ready = Stopwatch.StartNew();
        var heartbeating = Task.Run(() => _hosts.HeartbeatAsync(_options.HeartbeatInterval, n => Interlocked.Add(ref heartbeats, n), stopHeartbeats.Token), cancellationToken);
        try
        {
            await WaitForHostsAsync(connectionString, cancellationToken);
            var hostsReady = ready.Elapsed.TotalSeconds;

            var deployments = Enumerable.Range(0, deploymentCount).Select(_ => Guid.NewGuid()).ToList();
            var specs = deployments.Select((_, i) => _options.SpecText($"tp-{round}-{i:D5}")).ToList();
            _outcomes.Expect(deployments);
            await PostgresStats.ResetStatementsAsync(_infrastructure.AdminConnectionString, cancellationToken);
            var cpu = CpuSample.Take(_infrastructure.ContainerIds);
            var (allocated, gen2, pause) = (GC.GetTotalAllocatedBytes(), GC.CollectionCount(2), GC.GetTotalPauseDuration());
            var heartbeatsBefore = Volatile.Read(ref heartbeats);

            var start = Stopwatch.GetTimestamp();
            await Parallel.ForEachAsync(
                Enumerable.Range(0, deployments.Count),
                new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken },
                async (i, token) => await bus.Publish(new DeploymentRequested(Guid.NewGuid(), deployments[i], DateTimeOffset.UtcNow, specs[i], "bench", "bench"), token));
            var completed = await WaitWithProgressAsync(round, deploymentCount * _options.Replicas, cancellationToken);
            var end = completed ? _outcomes.Last : Stopwatch.GetTimestamp();

            var heartbeatsInWindow = Volatile.Read(ref heartbeats) - heartbeatsBefore;
            var cpuUsed = CpuSample.Take(_infrastructure.ContainerIds).Since(cpu);
            var (allocatedAfter, gen2After, pauseAfter) = (GC.GetTotalAllocatedBytes(), GC.CollectionCount(2), GC.GetTotalPauseDuration());
            var statements = await PostgresStats.StatementsAsync(_infrastructure.AdminConnectionString, database, cancellationToken);
            await stopHeartbeats.CancelAsync();
            await heartbeating;

            // Stopping closes the store's connections, which flushes their counters into pg_stat_database.
            await functions.StopAsync(cancellationToken);
            functions.Dispose();
            functions = null;
            var counts = await PostgresStats.CountsAsync(_infrastructure.AdminConnectionString, database, cancellationToken);
            var tables = await PostgresStats.TablesAsync(connectionString, cancellationToken);
            var errorsAfter = await ErrorDepthsAsync(cancellationToken);
            var left = errorsAfter.Where(e => e.Value > errorsBefore.GetValueOrDefault(e.Key)).ToDictionary(e => e.Key, e => e.Value - errorsBefore.GetValueOrDefault(e.Key), StringComparer.Ordinal);

            return new WorkersResult(
                round,
                completed,
                Stopwatch.GetElapsedTime(start, end).TotalSeconds,
                _outcomes.Succeeded,
                new Dictionary<Guid, string>(_outcomes.Failures),
                _hosts.Hosts.Sum(h => h.Starts),
                [.. _hosts.Hosts.Where(h => h.Starts > 0).Select(h => h.Id)],
                _hosts.Hosts.Sum(h => h.Stops),
                heartbeatsInWindow,
                hostsReady,
                left,
                cpuUsed,
                statements,
                counts,
                tables,
                allocatedAfter - allocated,
                gen2After - gen2,
                pauseAfter - pause);
        }
        finally
        {
            await stopHeartbeats.CancelAsync();
            await heartbeating;
            if (functions is not null)
            {
                await functions.StopAsync(CancellationToken.None);
                functions.Dispose();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _hosts.DisposeAsync();
        if (_harness is not null)
        {
            await _harness.StopAsync(CancellationToken.None);
            _harness.Dispose();
        }
    }

    private async Task WaitForHostsAsync(string connectionString, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (await PostgresStats.HostCountAsync(connectionString, cancellationToken) < _options.Hosts)
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(5))
            {
                throw new TimeoutException($"Inventory did not store all {_options.Hosts} hosts within 5 minutes");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }

    private async Task<bool> WaitWithProgressAsync(int round, int replicas, CancellationToken cancellationToken)
    {
        var deadline = TimeSpan.FromSeconds(60) + TimeSpan.FromMilliseconds(100) * replicas;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < deadline)
        {
            if (await _outcomes.WaitAsync(TimeSpan.FromSeconds(10)))
            {
                return true;
            }

            cancellationToken.ThrowIfCancellationRequested();
            await Console.Error.WriteLineAsync($"[throughput] round {round}: {clock.Elapsed.TotalSeconds:N0} s, {_outcomes.Succeeded} succeeded, {_outcomes.Failures.Count} failed, {_outcomes.Pending} pending");
        }

        return false;
    }

    private Task<IReadOnlyDictionary<string, uint>> ErrorDepthsAsync(CancellationToken cancellationToken) =>
        _infrastructure.DepthsAsync(FunctionQueues.Concat([Outcomes.Queue]).Concat(_hosts.Queues).Select(q => q + DeadLetters.ErrorSuffix), cancellationToken);

    private static async Task<IHost> StartHostAsync(Action<IServiceCollection> configure, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddEnvironmentVariables();
        // Standard output is the report; warnings and errors go to standard error.
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        configure(builder.Services);
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return host;
    }
}
