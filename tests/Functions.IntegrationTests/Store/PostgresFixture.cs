using Npgsql;
using Testcontainers.PostgreSql;

namespace Workers.Functions.Tests.Store;

/// <summary>
/// One PostgreSQL container for the whole "postgres" collection (image WORKERS_TEST_POSTGRES_IMAGE, built locally by
/// scripts/test.sh). Tests share its database and keep apart by unique names and host ids; a test that needs an empty
/// schema asks for a fresh database in the same container. Without Docker or the image every test here fails.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public static readonly string Image = TestImages.Postgres;

    private PostgreSqlContainer? _container;

    public string ConnectionString => _container?.GetConnectionString()
        ?? throw new InvalidOperationException("The PostgreSQL container has not started.");

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            _container = new PostgreSqlBuilder(Image).Build();
            await _container.StartAsync(timeout.Token);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            throw new InvalidOperationException(
                $"The PostgreSQL test container ({Image}) could not be started: {exception.Message} "
                + $"To get Docker and the image, {TestImages.HowToGetThem}.", exception);
        }
    }

    /// <summary>An empty database in the shared container, for tests that need a schema nobody has migrated yet.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "t" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // The name is a fresh GUID, not input.
            command.CommandText = $"CREATE DATABASE {name}";
#pragma warning restore CA2100
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
