using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Workers.Functions.Store;

/// <summary>A SQLite file: the embedded default for one machine.</summary>
public sealed class SqliteDialect(string path) : SqlDialect
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    public override string Name => "sqlite";

    /// <summary>The database file (or <c>:memory:</c>).</summary>
    public string Path { get; } = path;

    public override DbConnection CreateConnection() => new SqliteConnection(_connectionString);

    // SQLITE_CONSTRAINT (19) covers unique and primary-key violations.
    public override bool IsUniqueViolation(DbException exception) => exception is SqliteException { SqliteErrorCode: 19 };

    public override string OnOpen => "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;";
}
