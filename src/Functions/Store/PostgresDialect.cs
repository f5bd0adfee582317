using System.Data.Common;
using Npgsql;

namespace Workers.Functions.Store;

/// <summary>PostgreSQL: for several function instances at once.</summary>
public sealed class PostgresDialect(string connectionString) : SqlDialect, IDisposable
{
    // No reset on close: the store keeps no session state, and the DISCARD ALL Npgsql would otherwise send before each
    // reuse of a pooled connection was a round trip per store call (about 60 a deployment under load).
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true }.ConnectionString);

    public override string Name => "postgres";

    public override DbConnection CreateConnection() => _dataSource.CreateConnection();

    public override bool IsUniqueViolation(DbException exception) => exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    // Several instances may start at once; one migrates, the others wait and then find nothing to do.
    public override string MigrationLock => "SELECT pg_advisory_xact_lock(727375)";

    public void Dispose() => _dataSource.Dispose();
}
