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

    public override string SerialKey => "INTEGER PRIMARY KEY AUTOINCREMENT";

    public override IReadOnlyList<string> EventTriggers { get; } =
    [
        """
        CREATE TRIGGER replicas_placed AFTER INSERT ON replicas
        BEGIN
            INSERT INTO events (at, kind, name, revision, host_id, idx, message)
            VALUES (NEW.updated_at, 'replica.placed', NEW.name, NEW.revision, NEW.host_id, NEW.idx, 'placed on ' || NEW.host_id);
        END
        """,
        """
        CREATE TRIGGER replicas_state AFTER UPDATE OF state ON replicas WHEN NEW.state IS NOT OLD.state
        BEGIN
            INSERT INTO events (at, kind, name, revision, host_id, idx, message)
            VALUES (NEW.updated_at, 'replica.' || lower(NEW.state), NEW.name, NEW.revision, NEW.host_id, NEW.idx,
                CASE WHEN NEW.state IN ('Failed', 'Lost') THEN COALESCE(NEW.reason, '') ELSE '' END);
        END
        """,
        """
        CREATE TRIGGER replicas_health AFTER UPDATE OF health ON replicas
        WHEN NEW.health IS NOT OLD.health AND NEW.health IN ('Healthy', 'Unhealthy')
        BEGIN
            INSERT INTO events (at, kind, name, revision, host_id, idx, message)
            VALUES (COALESCE(NEW.health_at, NEW.updated_at), 'replica.' || lower(NEW.health), NEW.name, NEW.revision, NEW.host_id, NEW.idx,
                CASE WHEN NEW.health = 'Unhealthy' THEN COALESCE(NEW.reason, '') ELSE '' END);
        END
        """,
        """
        CREATE TRIGGER revisions_added AFTER INSERT ON revisions
        BEGIN
            INSERT INTO events (at, kind, name, revision, message)
            VALUES (NEW.updated_at, CASE WHEN NEW.revision = 0 THEN 'deployment.rejected' ELSE 'deployment.accepted' END, NEW.name, NEW.revision,
                CASE WHEN NEW.revision = 0 THEN COALESCE(NEW.reason, '') ELSE 'requested by ' || NEW.requested_by END);
        END
        """,
        """
        CREATE TRIGGER revisions_state AFTER UPDATE OF state ON revisions WHEN NEW.state IS NOT OLD.state
        BEGIN
            INSERT INTO events (at, kind, name, revision, message)
            VALUES (NEW.updated_at, 'deployment.' || lower(NEW.state), NEW.name, NEW.revision,
                CASE WHEN NEW.state IN ('Failed', 'RollingBack', 'RolledBack') THEN COALESCE(NEW.reason, '') ELSE '' END);
        END
        """,
        """
        CREATE TRIGGER deployments_forgotten AFTER DELETE ON deployments
        BEGIN
            INSERT INTO events (at, kind, name, revision, message)
            VALUES (CAST(strftime('%s', 'now') AS INTEGER) * 1000, 'deployment.deleted', OLD.name, OLD.revision, '');
        END
        """,
        """
        CREATE TRIGGER hosts_joined AFTER INSERT ON hosts
        BEGIN
            INSERT INTO events (at, kind, host_id, message) VALUES (NEW.received_at, 'host.joined', NEW.host_id, '');
        END
        """,
        """
        CREATE TRIGGER hosts_lost AFTER UPDATE OF lost_at ON hosts WHEN NEW.lost_at IS NOT OLD.lost_at
        BEGIN
            INSERT INTO events (at, kind, host_id, message)
            VALUES (COALESCE(NEW.lost_at, NEW.received_at), CASE WHEN NEW.lost_at IS NULL THEN 'host.returned' ELSE 'host.lost' END, NEW.host_id,
                CASE WHEN NEW.lost_at IS NULL THEN 'heard again ' || ((NEW.received_at - OLD.lost_at) / 1000) || 's after it was declared down'
                     ELSE 'no heartbeat for ' || ((NEW.lost_at - NEW.received_at) / 1000) || 's' END);
        END
        """,
    ];

    public override string OnOpen => "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;";
}
