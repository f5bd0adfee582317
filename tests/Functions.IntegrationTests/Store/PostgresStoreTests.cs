using Npgsql;
using Workers.Contracts.Messages;
using Workers.Functions.Store;

namespace Workers.Functions.Tests.Store;

/// <summary>The store contract on PostgreSQL in a container shared by the collection.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreTests(PostgresFixture postgres) : StoreTests
{
    protected override string SharedDatabase => postgres.ConnectionString;

    protected override Task<string> CreateDatabaseAsync() => postgres.CreateDatabaseAsync();

    protected override SqlDialect CreateDialect(string database) => new PostgresDialect(database);

    [Fact]
    public async Task RefreshStatistics_AfterATableGrewFromNothing_AnalyzesItOnceUntilItChangesAgain()
    {
        var database = await postgres.CreateDatabaseAsync();
        using var dialect = new PostgresDialect(database);
        var store = new SqlDeploymentStore(dialect);
        await store.MigrateAsync(CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 200; i++)
        {
            await store.UpsertHostAsync(
                new HostHeartbeat(Guid.NewGuid(), Guid.NewGuid(), now, $"stats-{i:D3}", new Dictionary<string, string>(), "127.0.0.1", 1000, 1L << 30, 1000, 1L << 30, [], []),
                now,
                CancellationToken.None);
        }

        // PostgreSQL counts the changes in its statistics a moment after each transaction, not at once.
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(60);
        IReadOnlyList<string> refreshed;
        while (!(refreshed = await store.RefreshStatisticsAsync(CancellationToken.None)).Contains("hosts") && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        Assert.Contains("hosts", refreshed);
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT last_analyze IS NOT NULL, n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = 'hosts'", connection);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.True(reader.GetBoolean(0), "hosts was analyzed");
        }

        Assert.DoesNotContain("hosts", await store.RefreshStatisticsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task NextRevisionRead_UsesTheNameIndex_NotAScanOfEveryRevision()
    {
        var database = await postgres.CreateDatabaseAsync();
        using var dialect = new PostgresDialect(database);
        await new SqlDeploymentStore(dialect).MigrateAsync(CancellationToken.None);
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();

        // With scans priced out, PostgreSQL still scans a table when no index can answer the statement: the plan shows
        // which, whatever the table holds and however stale its statistics are.
        await using (var off = new NpgsqlCommand("SET enable_seqscan = off", connection))
        {
            await off.ExecuteNonQueryAsync();
        }

        await using var explain = new NpgsqlCommand("EXPLAIN " + SqlDeploymentStore.NextRevision, connection);
        explain.Parameters.AddWithValue("n", "web");
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }

        Assert.DoesNotContain(plan, line => line.Contains("Seq Scan", StringComparison.Ordinal));
        Assert.Contains(plan, line => line.Contains("revisions_name_revision", StringComparison.Ordinal));
    }
}
