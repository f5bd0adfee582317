using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;
using Workers.Transport;

namespace Workers.Bench.Throughput;

/// <summary>
/// RabbitMQ and PostgreSQL from the local test images (scripts/test-env.sh builds them; no registry is reachable),
/// started once for every round. PostgreSQL runs with its production durability settings, whatever the
/// Testcontainers module prefers for tests, and with pg_stat_statements loaded for the profile.
/// </summary>
internal sealed class BenchInfrastructure : IAsyncDisposable
{
    /// <summary>RabbitMQ 3.10 (quorum queues): the integration suites' image.</summary>
    public static readonly string RabbitMqImage = TestImages.RabbitMq;

    /// <summary>PostgreSQL 15: the integration suites' image.</summary>
    public static readonly string PostgresImage = TestImages.Postgres;

    /// <summary>The workload image the specs name (never started: the simulated hosts acknowledge at once).</summary>
    public static readonly string WorkloadImage = TestImages.Workload;

    private const string HowToGetThem = "run `source scripts/test-env.sh` first (it installs and starts Docker, builds the test images and exports DOCKER_API_VERSION and TESTCONTAINERS_RYUK_DISABLED)";

    private readonly RabbitMqContainer _rabbit;
    private readonly PostgreSqlContainer _postgres;

    private BenchInfrastructure(RabbitMqContainer rabbit, PostgreSqlContainer postgres) => (_rabbit, _postgres) = (rabbit, postgres);

    public Broker Broker { get; private set; } = Broker.InMemory;

    public Uri Amqp { get; private set; } = new("amqp://localhost/");

    public string AdminConnectionString => _postgres.GetConnectionString();

    /// <summary>The containers' ids by role, for their CPU accounting.</summary>
    public IReadOnlyDictionary<string, string> ContainerIds => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["postgres"] = _postgres.Id,
        ["rabbitmq"] = _rabbit.Id,
    };

    public static async Task<BenchInfrastructure> StartAsync(CancellationToken cancellationToken)
    {
        var rabbit = new RabbitMqBuilder(RabbitMqImage).WithLogger(NullLogger.Instance).Build();
        // Testcontainers would log to standard output, which is the report.
        var postgres = new PostgreSqlBuilder(PostgresImage)
            .WithLogger(NullLogger.Instance)
            .WithCommand(
                "-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on",
                "-c", "shared_preload_libraries=pg_stat_statements", "-c", "pg_stat_statements.track=all",
                "-c", "max_connections=300")
            .Build();
        var infrastructure = new BenchInfrastructure(rabbit, postgres);
        try
        {
            await Task.WhenAll(rabbit.StartAsync(cancellationToken), postgres.StartAsync(cancellationToken));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await infrastructure.DisposeAsync();
            throw new InvalidOperationException($"RabbitMQ ({RabbitMqImage}) or PostgreSQL ({PostgresImage}) could not be started: {e.Message}. {HowToGetThem}.", e);
        }

        var uri = new Uri(rabbit.GetConnectionString());
        infrastructure.Broker = Broker.Parse($"rabbitmq://{uri.UserInfo}@{uri.Host}:{uri.Port}/");
        infrastructure.Amqp = new Uri($"amqp://{uri.UserInfo}@{uri.Host}:{uri.Port}/");
        await infrastructure.AdminAsync("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", cancellationToken);
        return infrastructure;
    }

    /// <summary>An empty database for one round, so that rounds never see each other's hosts or deployments.</summary>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken)
    {
        await AdminAsync($"DROP DATABASE IF EXISTS {name}", cancellationToken);
        await AdminAsync($"CREATE DATABASE {name}", cancellationToken);
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, MaxPoolSize = 100 }.ConnectionString;
    }

    public async Task AdminAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // The bench's own statements; database names are made from round numbers.
        command.CommandText = sql;
#pragma warning restore CA2100
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Empties the queues that exist among <paramref name="queues"/> and returns how many messages were in them:
    /// each round starts with nothing left over from the one before.
    /// </summary>
    public async Task<long> PurgeAsync(IEnumerable<string> queues, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = Amqp, ClientProvidedName = "bench-purge" };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        long purged = 0;
        var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            foreach (var queue in queues)
            {
                try
                {
                    purged += await channel.QueuePurgeAsync(queue, cancellationToken);
                }
                catch (OperationInterruptedException)
                {
                    // A queue that does not exist yet closes the channel; it has nothing to purge.
                    await channel.DisposeAsync();
                    channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
                }
            }
        }
        finally
        {
            await channel.DisposeAsync();
        }

        return purged;
    }

    /// <summary>Messages waiting in each of <paramref name="queues"/> that exists.</summary>
    public async Task<IReadOnlyDictionary<string, uint>> DepthsAsync(IEnumerable<string> queues, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = Amqp, ClientProvidedName = "bench-depths" };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        var depths = new Dictionary<string, uint>(StringComparer.Ordinal);
        var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            foreach (var queue in queues)
            {
                try
                {
                    depths[queue] = (await channel.QueueDeclarePassiveAsync(queue, cancellationToken)).MessageCount;
                }
                catch (OperationInterruptedException)
                {
                    await channel.DisposeAsync();
                    channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
                }
            }
        }
        finally
        {
            await channel.DisposeAsync();
        }

        return depths;
    }

    /// <summary>Removes both containers; a slow or failing removal is said on standard error and never loses the figures.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var container in new DotNet.Testcontainers.Containers.IContainer[] { _rabbit, _postgres })
        {
            try
            {
                await container.DisposeAsync();
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or TimeoutException or Docker.DotNet.DockerApiException)
            {
                await Console.Error.WriteLineAsync($"[throughput] could not remove container {container.Id} ({container.Image.FullName}): {e.Message}; remove it with `docker rm -f {container.Id}`");
            }
        }
    }
}
