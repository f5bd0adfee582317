using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Handlers;
using Workers.Functions.Store;
using Workers.Security;

namespace Workers.Functions.Tests.Handlers;

/// <summary>Every handler over one real SQLite store in a temporary file, with a clock the test moves.</summary>
internal sealed class HandlerHarness : IAsyncDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("workers-handlers-");

    private HandlerHarness()
    {
        var dialect = new SqliteDialect(Path.Combine(_directory.FullName, "workers.db"));
        Store = new SqlDeploymentStore(dialect);
        _keys = SecretsKeySource.From(SecretsKey.GenerateBase64(), dialect);
        Secrets = new SqlSecretStore(dialect, _keys);
        Sealer = new SecretSealer(Secrets, Store, NullLogger<SecretSealer>.Instance);
        SecretsHandler = new SecretsHandler(Secrets, FunctionsSealingKey, Time, NullLogger<SecretsHandler>.Instance);
        var options = Microsoft.Extensions.Options.Options.Create(new FunctionsOptions());
        Options = options.Value;
        Validate = new ValidateHandler(Store, Secrets, Time);
        Plan = new PlanHandler(Store, Time, options, Sealer);
        Track = new TrackHandler(Store, Time, options, Sealer);
        Delete = new DeleteHandler(Store, Time);
        Query = new QueryHandler(Store, Time, options);
        DryRun = new DryRunHandler(Store, Secrets, Time, options);
        Inventory = new InventoryHandler(Store, Time, options, sealer: Sealer);
        Sweep = new SweepHandler(Store, Time, options, Track, Sealer);
    }

    private readonly SecretsKeySource _keys;

    /// <summary>The secrets, encrypted under a key made for this harness.</summary>
    public SqlSecretStore Secrets { get; }

    public SecretSealer Sealer { get; }

    public SecretsHandler SecretsHandler { get; }

    /// <summary>The functions' sealing key, which values set over the bus are sealed to.</summary>
    public SealingKey FunctionsSealingKey { get; } = SealingKey.Generate();

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));

    public SqlDeploymentStore Store { get; }

    public FunctionsOptions Options { get; }

    public ValidateHandler Validate { get; }

    public PlanHandler Plan { get; }

    public TrackHandler Track { get; }

    public DeleteHandler Delete { get; }

    public QueryHandler Query { get; }

    public DryRunHandler DryRun { get; }

    public InventoryHandler Inventory { get; }

    public SweepHandler Sweep { get; }

    public static async Task<HandlerHarness> CreateAsync()
    {
        var harness = new HandlerHarness();
        await harness.Store.MigrateAsync(CancellationToken.None);
        return harness;
    }

    /// <summary>A heartbeat from <paramref name="hostId"/>, taken and received now.</summary>
    public Task HeartbeatAsync(string hostId, params HostPort[] portsInUse) =>
        Inventory.HandleAsync(
            new HostHeartbeat(Guid.NewGuid(), Guid.NewGuid(), Time.GetUtcNow(), hostId, new Dictionary<string, string>(), "127.0.0.1",
                4000, 8L << 30, 4000, 8L << 30, [], portsInUse),
            CancellationToken.None);

    /// <summary>A heartbeat from <paramref name="hostId"/> that reports these containers; the reconciliation's effects.</summary>
    public Task<Effects> HeartbeatRunningAsync(string hostId, params RunningReplica[] replicas) =>
        HeartbeatTakenAtAsync(hostId, Time.GetUtcNow(), replicas);

    /// <summary>The same, taken at <paramref name="takenAt"/> and processed now (it waited in the queue until now).</summary>
    public Task<Effects> HeartbeatTakenAtAsync(string hostId, DateTimeOffset takenAt, params RunningReplica[] replicas) =>
        Inventory.HandleAsync(
            new HostHeartbeat(Guid.NewGuid(), Guid.NewGuid(), takenAt, hostId, new Dictionary<string, string>(), "127.0.0.1",
                4000, 8L << 30, 4000, 8L << 30, replicas, []),
            CancellationToken.None);

    /// <summary>The containers a host runs once every replica the plan sent it has started.</summary>
    public RunningReplica[] RunningOn(Effects planned, string hostId) =>
        [.. planned.SentOf<StartReplicas>().Where(s => s.HostId == hostId).SelectMany(s => s.Command.Replicas.Select(r =>
            new RunningReplica(s.Command.Spec.Name.Value, s.Command.Revision, r.Index, $"container-{s.Command.Revision}-{r.Index}", true, Time.GetUtcNow())))];

    public DeploymentAccepted Accepted(DeploymentSpec spec, Guid? id = null) =>
        new(Guid.NewGuid(), id ?? Guid.NewGuid(), Time.GetUtcNow(), spec, "tester");

    /// <summary>Plans <paramref name="spec"/> as the Plan function would after Validate accepted it.</summary>
    public async Task<(Guid Id, Effects Effects)> DeployAsync(DeploymentSpec spec)
    {
        var accepted = Accepted(spec);
        return (accepted.CorrelationId, await Plan.HandleAsync(accepted, CancellationToken.None));
    }

    /// <summary>Every replica in the start commands reported running, in order; the effects of each report.</summary>
    /// <summary>
    /// Each planned replica starts and its agent then judges it healthy, as an agent would report them: one Effects per
    /// replica, carried out (so an outcome they publish leaves the outbox, as after a real dispatch).
    /// </summary>
    public async Task<List<Effects>> StartAllAsync(Effects planned)
    {
        var results = new List<Effects>();
        foreach (var start in planned.Sent.Select(s => s.Command).OfType<StartReplicas>())
        {
            foreach (var replica in start.Replicas)
            {
                var effects = await Track.HandleAsync(Started(start, replica.Index), CancellationToken.None);
                results.Add(effects.Add(await Track.HandleAsync(Health(start, replica.Index, ReplicaHealth.Healthy), CancellationToken.None)));
                await effects.CompleteAsync(CancellationToken.None);
            }
        }

        return results;
    }

    /// <summary>
    /// Plays agents that do what they are told: every start command's replicas start and turn
    /// <paramref name="health"/> (healthy unless said otherwise), every stop stops, in the order the commands were
    /// sent, until no command is left. <paramref name="observe"/> sees the store after each command is carried out.
    /// </summary>
    public async Task<List<Effects>> ConvergeAsync(Effects first, Func<StartReplicas, ReplicaHealth>? health = null, Func<Task>? observe = null)
    {
        var all = new List<Effects> { first };
        var queue = new Queue<object>(first.Sent.Select(s => s.Command));
        for (var step = 0; queue.Count > 0; step++)
        {
            Assert.True(step < 1_000, "the rollout never settled");
            var effects = new Effects();
            switch (queue.Dequeue())
            {
                case StartReplicas start:
                    foreach (var replica in start.Replicas)
                    {
                        effects.Add(await Track.HandleAsync(Started(start, replica.Index), CancellationToken.None));
                        var judged = health?.Invoke(start) ?? ReplicaHealth.Healthy;
                        effects.Add(await Track.HandleAsync(Health(start, replica.Index, judged, judged == ReplicaHealth.Unhealthy ? "GET /healthz -> 503" : null), CancellationToken.None));
                    }

                    break;
                case StopReplicas stop:
                    foreach (var index in stop.Indexes)
                    {
                        effects.Add(await Track.HandleAsync(Stopped(stop, index), CancellationToken.None));
                    }

                    break;
            }

            all.Add(effects);
            await effects.CompleteAsync(CancellationToken.None);
            foreach (var (_, command) in effects.Sent)
            {
                queue.Enqueue(command);
            }

            if (observe is not null)
            {
                await observe();
            }
        }

        return all;
    }

    /// <summary>Runs <paramref name="sql"/> on the store's database itself: to plant a state no handler would write.</summary>
    public async Task<int> SqlAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_directory.FullName, "workers.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // The test's own statement.
        command.CommandText = sql;
#pragma warning restore CA2100
        return await command.ExecuteNonQueryAsync();
    }

    public ReplicaHealthChanged Health(StartReplicas start, int index, ReplicaHealth health, string? reason = null) => new(
        Guid.NewGuid(), start.CorrelationId, Time.GetUtcNow(), start.HostId, start.Spec.Name.Value, start.Revision, index,
        $"container-{start.Revision}-{index}", health, reason);

    public ReplicaStarted Started(StartReplicas start, int index) => new(
        Guid.NewGuid(), start.CorrelationId, Time.GetUtcNow(), start.HostId, start.Spec.Name.Value, start.Revision, index,
        $"container-{start.Revision}-{index}", start.Replicas.Single(r => r.Index == index).Ports);

    public ReplicaStopped Stopped(StopReplicas stop, int index) =>
        new(Guid.NewGuid(), stop.CorrelationId, Time.GetUtcNow(), stop.HostId, stop.Name, stop.Revision, index);

    public async ValueTask DisposeAsync()
    {
        await Task.CompletedTask;
        _keys.Dispose();
        FunctionsSealingKey.Dispose();
        SqliteConnection.ClearAllPools();
        _directory.Delete(recursive: true);
    }
}

internal static class EffectsAssertions
{
    public static List<(string HostId, T Command)> SentOf<T>(this Effects effects) =>
        [.. effects.Sent.Where(s => s.Command is T).Select(s => (s.HostId, (T)s.Command))];

    public static List<T> PublishedOf<T>(this Effects effects) => [.. effects.Published.OfType<T>()];
}
