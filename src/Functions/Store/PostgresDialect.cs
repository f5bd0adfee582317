using System.Data.Common;
using Npgsql;

namespace Workers.Functions.Store;

/// <summary>PostgreSQL: for several function instances at once.</summary>
public sealed class PostgresDialect(string connectionString) : SqlDialect, IDisposable
{
    // No reset on close: the store keeps no session state, and the DISCARD ALL Npgsql would otherwise send before each
    // reuse of a pooled connection was a round trip per store call (about 60 a deployment under load).
    // Statements used twice are prepared on their connection (Npgsql's automatic preparation): the store sends the same
    // few dozen statements all day, and the server otherwise parses and plans each one every time. Every statement
    // names its columns, so a migration that adds one never changes a prepared statement's result.
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString)
    {
        NoResetOnClose = true,
        MaxAutoPrepare = 128,
        AutoPrepareMinUsages = 2,
    }.ConnectionString);

    public override string Name => "postgres";

    public override DbConnection CreateConnection() => _dataSource.CreateConnection();

    public override bool IsUniqueViolation(DbException exception) => exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    // Several instances may start at once; one migrates, the others wait and then find nothing to do.
    public override string MigrationLock => "SELECT pg_advisory_xact_lock(727375)";

    public override string SerialKey => "BIGSERIAL PRIMARY KEY";

    /// <summary>The tables every result and plan reads by key, whose plans go wrong when their statistics lag.</summary>
    private static readonly string[] HotTables = ["revisions", "replicas", "port_reservations", "deployments", "hosts"];

    /// <summary>
    /// ANALYZEs each hot table with more rows changed since its last ANALYZE than a fifth of its rows (and at least 50).
    /// Autovacuum does the same, but looks once a minute by default: a store that grew from nothing within that minute
    /// (a new installation, the throughput bench's rounds) ran for the rest of it on statement plans prepared while its
    /// tables were empty, such as a scan of every revision for a lookup by name, at up to 1.7 ms a call instead of
    /// 0.07 ms. ANALYZE takes no lock that writers wait for, and it makes the prepared plans be made again.
    /// </summary>
    public override async Task<IReadOnlyList<string>> RefreshStatisticsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var stale = new List<string>();
        await using (var query = connection.CreateCommand())
        {
            query.CommandText = """
                SELECT relname FROM pg_stat_user_tables
                WHERE schemaname = current_schema() AND relname = ANY(@tables)
                  AND n_mod_since_analyze > GREATEST(50, n_live_tup / 5)
                """;
            query.Parameters.Add(new NpgsqlParameter("tables", HotTables));
            await using var reader = await query.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                stale.Add(reader.GetString(0));
            }
        }

        string[] analyzed = [.. HotTables.Intersect(stale, StringComparer.Ordinal)];
        foreach (var table in analyzed)
        {
            await using var analyze = connection.CreateCommand();
#pragma warning disable CA2100 // One of HotTables, this class's own names.
            analyze.CommandText = $"ANALYZE {table}";
#pragma warning restore CA2100
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }

        return analyzed;
    }

    public override IReadOnlyList<string> EventTriggers { get; } =
    [
        """
        CREATE FUNCTION workers_replica_events() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO events (at, kind, name, revision, host_id, idx, message)
                VALUES (NEW.updated_at, 'replica.placed', NEW.name, NEW.revision, NEW.host_id, NEW.idx, 'placed on ' || NEW.host_id);
                RETURN NULL;
            END IF;
            IF NEW.state IS DISTINCT FROM OLD.state THEN
                INSERT INTO events (at, kind, name, revision, host_id, idx, message)
                VALUES (NEW.updated_at, 'replica.' || lower(NEW.state), NEW.name, NEW.revision, NEW.host_id, NEW.idx,
                    CASE WHEN NEW.state IN ('Failed', 'Lost') THEN COALESCE(NEW.reason, '') ELSE '' END);
            END IF;
            IF NEW.health IS DISTINCT FROM OLD.health AND NEW.health IN ('Healthy', 'Unhealthy') THEN
                INSERT INTO events (at, kind, name, revision, host_id, idx, message)
                VALUES (COALESCE(NEW.health_at, NEW.updated_at), 'replica.' || lower(NEW.health), NEW.name, NEW.revision, NEW.host_id, NEW.idx,
                    CASE WHEN NEW.health = 'Unhealthy' THEN COALESCE(NEW.reason, '') ELSE '' END);
            END IF;
            RETURN NULL;
        END
        $f$
        """,
        "CREATE TRIGGER replicas_events AFTER INSERT OR UPDATE ON replicas FOR EACH ROW EXECUTE FUNCTION workers_replica_events()",
        """
        CREATE FUNCTION workers_revision_events() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO events (at, kind, name, revision, message)
                VALUES (NEW.updated_at, CASE WHEN NEW.revision = 0 THEN 'deployment.rejected' ELSE 'deployment.accepted' END, NEW.name, NEW.revision,
                    CASE WHEN NEW.revision = 0 THEN COALESCE(NEW.reason, '') ELSE 'requested by ' || NEW.requested_by END);
            ELSIF NEW.state IS DISTINCT FROM OLD.state THEN
                INSERT INTO events (at, kind, name, revision, message)
                VALUES (NEW.updated_at, 'deployment.' || lower(NEW.state), NEW.name, NEW.revision,
                    CASE WHEN NEW.state IN ('Failed', 'RollingBack', 'RolledBack') THEN COALESCE(NEW.reason, '') ELSE '' END);
            END IF;
            RETURN NULL;
        END
        $f$
        """,
        "CREATE TRIGGER revisions_events AFTER INSERT OR UPDATE ON revisions FOR EACH ROW EXECUTE FUNCTION workers_revision_events()",
        """
        CREATE FUNCTION workers_deployment_events() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN
            INSERT INTO events (at, kind, name, revision, message)
            VALUES ((extract(epoch FROM clock_timestamp()) * 1000)::bigint, 'deployment.deleted', OLD.name, OLD.revision, '');
            RETURN NULL;
        END
        $f$
        """,
        "CREATE TRIGGER deployments_events AFTER DELETE ON deployments FOR EACH ROW EXECUTE FUNCTION workers_deployment_events()",
        """
        CREATE FUNCTION workers_host_events() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN
            INSERT INTO events (at, kind, host_id, message) VALUES (NEW.received_at, 'host.joined', NEW.host_id, '');
            RETURN NULL;
        END
        $f$
        """,
        "CREATE TRIGGER hosts_events AFTER INSERT ON hosts FOR EACH ROW EXECUTE FUNCTION workers_host_events()",
        """
        CREATE FUNCTION workers_host_lost_events() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN
            INSERT INTO events (at, kind, host_id, message)
            VALUES (COALESCE(NEW.lost_at, NEW.received_at), CASE WHEN NEW.lost_at IS NULL THEN 'host.returned' ELSE 'host.lost' END, NEW.host_id,
                CASE WHEN NEW.lost_at IS NULL THEN 'heard again ' || ((NEW.received_at - OLD.lost_at) / 1000) || 's after it was declared down'
                     ELSE 'no heartbeat for ' || ((NEW.lost_at - NEW.received_at) / 1000) || 's' END);
            RETURN NULL;
        END
        $f$
        """,
        """
        CREATE TRIGGER hosts_lost_events AFTER UPDATE OF lost_at ON hosts FOR EACH ROW
        WHEN (NEW.lost_at IS DISTINCT FROM OLD.lost_at) EXECUTE FUNCTION workers_host_lost_events()
        """,
    ];

    public void Dispose() => _dataSource.Dispose();
}
