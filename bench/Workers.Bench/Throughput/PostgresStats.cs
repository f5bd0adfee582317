using Npgsql;

namespace Workers.Bench.Throughput;

/// <summary>One statement's server-side cost from pg_stat_statements.</summary>
internal sealed record StatementCost(string Query, long Calls, double TotalMilliseconds, long Rows);

/// <summary>What PostgreSQL itself counted for one round's database.</summary>
internal sealed record DatabaseCounts(long Commits, long Rollbacks, long RowsReturned, long RowsFetched, long RowsInserted, long RowsUpdated);

/// <summary>How one table was read: whole-table scans and the rows they read, and index scans.</summary>
internal sealed record TableReads(string Table, long SeqScans, long SeqRows, long IndexScans);

/// <summary>Reads PostgreSQL's own statistics: pg_stat_statements (loaded by <see cref="BenchInfrastructure"/>) and pg_stat_database.</summary>
internal static class PostgresStats
{
    public static async Task ResetStatementsAsync(string adminConnectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT pg_stat_statements_reset()", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The statements run against <paramref name="database"/> since the last reset, costliest first.</summary>
    public static async Task<IReadOnlyList<StatementCost>> StatementsAsync(string adminConnectionString, string database, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT s.query, s.calls, s.total_exec_time, s.rows FROM pg_stat_statements s
            JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = @db ORDER BY s.total_exec_time DESC
            """, connection);
        command.Parameters.AddWithValue("db", database);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<StatementCost>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new StatementCost(reader.GetString(0), reader.GetInt64(1), reader.GetDouble(2), reader.GetInt64(3)));
        }

        return rows;
    }

    /// <summary>Cumulative counters of <paramref name="database"/> (flushed by each backend as it goes idle or exits).</summary>
    public static async Task<DatabaseCounts> CountsAsync(string adminConnectionString, string database, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted, tup_updated FROM pg_stat_database WHERE datname = @db
            """, connection);
        command.Parameters.AddWithValue("db", database);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new DatabaseCounts(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5))
            : new DatabaseCounts(0, 0, 0, 0, 0, 0);
    }

    /// <summary>How each table of the round's database was read, most rows read by whole-table scans first (read once its connections closed).</summary>
    public static async Task<IReadOnlyList<TableReads>> TablesAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT relname, seq_scan, seq_tup_read, COALESCE(idx_scan, 0) FROM pg_stat_user_tables ORDER BY seq_tup_read DESC, relname",
            connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<TableReads>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new TableReads(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
        }

        return rows;
    }

    /// <summary>Hosts the Inventory function has stored, or 0 before its schema exists.</summary>
    public static async Task<int> HostCountAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM hosts", connection);
        try
        {
            return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return 0;
        }
    }
}
