using System.Data.Common;
using Npgsql;

namespace Workers.Functions.Store;

/// <summary>PostgreSQL: for several function instances at once.</summary>
public sealed class PostgresDialect(string connectionString) : SqlDialect, IDisposable
{
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);

    public override string Name => "postgres";

    public override DbConnection CreateConnection() => _dataSource.CreateConnection();

    public override bool IsUniqueViolation(DbException exception) => exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    // Several instances may start at once; one migrates, the others wait and then find nothing to do.
    public override string MigrationLock => "SELECT pg_advisory_xact_lock(727375)";

    public void Dispose() => _dataSource.Dispose();
}
