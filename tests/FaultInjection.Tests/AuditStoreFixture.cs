using Docker.DotNet;
using Testcontainers.PostgreSql;
using Workers.Functions.Store;

namespace Workers.FaultInjection.Tests;

/// <summary>
/// A migrated PostgreSQL store and the Docker engine, without the rest of the cluster: what <see cref="ClusterAudit"/>
/// reads, for planting violations in. Tests isolate themselves with their own host ids and deployment names.
/// </summary>
public sealed class AuditStoreFixture : IAsyncLifetime
{
    private PostgreSqlContainer? _postgres;
    private PostgresDialect? _dialect;

    public DockerClient Docker { get; } = new DockerClientBuilder().Build();

    internal IDeploymentStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        try
        {
            await Docker.System.PingAsync();
        }
        catch (Exception e) when (e is HttpRequestException or IOException or DockerApiException or TimeoutException)
        {
            throw new InvalidOperationException($"The audit tests need a running Docker engine, and it is not reachable: {e.Message}. {TestImages.HowToGetThem}.", e);
        }

        _postgres = new PostgreSqlBuilder(TestImages.Postgres).Build();
        await _postgres.StartAsync();
        _dialect = new PostgresDialect(_postgres.GetConnectionString());
        Store = new SqlDeploymentStore(_dialect);
        await Store.MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        _dialect?.Dispose();
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        Docker.Dispose();
    }
}
