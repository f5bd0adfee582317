namespace Workers.Functions.Store;

/// <summary>The schema, as numbered steps. Add a step; never edit one that has shipped.</summary>
internal static class Migrations
{
    public static readonly IReadOnlyList<string[]> Steps =
    [
        [
            """
            CREATE TABLE hosts (
                host_id TEXT PRIMARY KEY,
                heartbeat TEXT NOT NULL,
                taken_at BIGINT NOT NULL,
                received_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE revisions (
                deployment_id TEXT PRIMARY KEY,
                name TEXT NULL,
                revision BIGINT NOT NULL,
                state TEXT NOT NULL,
                spec TEXT NULL,
                reason TEXT NULL,
                problems TEXT NOT NULL,
                requested_by TEXT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            "CREATE UNIQUE INDEX revisions_name_revision ON revisions (name, revision) WHERE revision > 0",
            """
            CREATE TABLE deployments (
                name TEXT PRIMARY KEY,
                deployment_id TEXT NOT NULL,
                revision BIGINT NOT NULL)
            """,
            """
            CREATE TABLE replicas (
                deployment_id TEXT NOT NULL,
                idx INTEGER NOT NULL,
                name TEXT NOT NULL,
                revision BIGINT NOT NULL,
                host_id TEXT NOT NULL,
                state TEXT NOT NULL,
                container_id TEXT NULL,
                ports TEXT NOT NULL,
                reason TEXT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (deployment_id, idx))
            """,
            "CREATE INDEX replicas_name ON replicas (name, revision)",
            """
            CREATE TABLE port_reservations (
                host_id TEXT NOT NULL,
                host_port INTEGER NOT NULL,
                protocol TEXT NOT NULL,
                deployment_id TEXT NOT NULL,
                name TEXT NOT NULL,
                idx INTEGER NOT NULL,
                PRIMARY KEY (host_id, host_port, protocol))
            """,
            "CREATE INDEX port_reservations_replica ON port_reservations (deployment_id, idx)",
        ],
        [
            // Webhook deliveries already acted on (GitHub's X-GitHub-Delivery, Standard Webhooks' webhook-id), so a
            // redelivery never deploys twice.
            """
            CREATE TABLE webhook_deliveries (
                source TEXT NOT NULL,
                delivery_id TEXT NOT NULL,
                received_at BIGINT NOT NULL,
                PRIMARY KEY (source, delivery_id))
            """,
        ],
        [
            // Each heartbeat reads its host's replicas, and each plan the active ones: neither should scan the history.
            "CREATE INDEX replicas_host ON replicas (host_id, state)",
            "CREATE INDEX replicas_state ON replicas (state)",
        ],
        [
            // Health as the agent last judged it, and when: rollouts advance on it and status shows it.
            "ALTER TABLE replicas ADD COLUMN health TEXT NULL",
            "ALTER TABLE replicas ADD COLUMN health_at BIGINT NULL",
            // A request whose spec is the one already running makes no revision: it points at that revision.
            """
            CREATE TABLE request_aliases (
                deployment_id TEXT PRIMARY KEY,
                target_id TEXT NOT NULL)
            """,
        ],
        [
            // Outcome events written in the same transaction as the state change they announce, and cleared once
            // published: a crash between the two leaves the row, and the sweep publishes it.
            """
            CREATE TABLE outbox (
                message_id TEXT PRIMARY KEY,
                message_type TEXT NOT NULL,
                body TEXT NOT NULL,
                created_at BIGINT NOT NULL)
            """,
        ],
        [
            // Each host's agent keys, pinned by the first heartbeat accepted for it (or provisioned): every later
            // message of that host must be signed with the pinned key.
            """
            CREATE TABLE host_keys (
                host_id TEXT PRIMARY KEY,
                signing_key TEXT NOT NULL,
                sealing_key TEXT NOT NULL,
                pinned_at BIGINT NOT NULL)
            """,
        ],
        [
            // Secrets, encrypted at rest (AES-256-GCM under WORKERS_SECRETS_KEY or the key file, the name as associated
            // data); key_id names the key each was encrypted with, so that a wrong key is told apart from a damaged value.
            """
            CREATE TABLE secrets (
                name TEXT PRIMARY KEY,
                ciphertext TEXT NOT NULL,
                nonce TEXT NOT NULL,
                key_id TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
        ],
        [
            // The event history: written by the triggers each dialect adds (a replica's or a revision's state or health
            // changed, a host first heard) in the same statement as the change, and by the sweep and inventory for what
            // no row change records (a host lost or back, an orphan). An event with a key is recorded once however many
            // writers see it; pruned after the retention.
            """
            CREATE TABLE events (
                seq {serial},
                at BIGINT NOT NULL,
                kind TEXT NOT NULL,
                name TEXT NULL,
                revision BIGINT NULL,
                host_id TEXT NULL,
                idx INTEGER NULL,
                message TEXT NOT NULL,
                event_key TEXT NULL UNIQUE)
            """,
            "CREATE INDEX events_name ON events (name, seq)",
            "CREATE INDEX events_at ON events (at)",
            // When the sweep declared the host down (null while it is live): a heartbeat clears it, and the change either
            // way is an event.
            "ALTER TABLE hosts ADD COLUMN lost_at BIGINT NULL",
            EventTriggers,
        ],
        [
            // When each revision's request was made (by its sender's clock) and when it was planned (by the functions'):
            // a request overtaken in flight by a later one for the same name is not planned after it.
            "ALTER TABLE revisions ADD COLUMN requested_at BIGINT NULL",
            "ALTER TABLE revisions ADD COLUMN planned_at BIGINT NULL",
        ],
        [
            // A start command can still be carried out until it expires, whatever the store says of its replica since
            // (a duplicated or redelivered start): a dynamic host port stays held on its host until its replica's start
            // has expired, even once the replica ended. free_from is the earliest another replica may have the port
            // (the start's expiry; the placement itself for a port the spec fixes); held_until is set from it when the
            // replica ends before then, and the sweep frees the port after it.
            "ALTER TABLE port_reservations ADD COLUMN free_from BIGINT NULL",
            "ALTER TABLE port_reservations ADD COLUMN held_until BIGINT NULL",
            "CREATE INDEX port_reservations_held ON port_reservations (held_until) WHERE held_until IS NOT NULL",
        ],
        [
            // The active replicas by deployment, in place of an index on the state alone: "does this revision still have
            // a live replica" (each result a rollout advances on) then reads that revision's few entries. With the state
            // index, PostgreSQL intersected it with the key and read every active replica's entry per call (10,000 per
            // call, 320 million a run at the throughput bench's load) whenever its statistics lagged a growing table.
            "DROP INDEX replicas_state",
            "CREATE INDEX replicas_active ON replicas (deployment_id, idx) WHERE state IN ('Pending', 'Running', 'Stopping')",
        ],
    ];

    /// <summary>Where a step says so, the dialect's own statements (the event triggers) are put in.</summary>
    public const string EventTriggers = "{event-triggers}";

    /// <summary>The statements of one step (1-based) for <paramref name="dialect"/>.</summary>
    public static IEnumerable<string> StatementsFor(int version, SqlDialect dialect) =>
        Steps[version - 1].SelectMany(statement => statement == EventTriggers
            ? dialect.EventTriggers
            : [statement.Replace("{serial}", dialect.SerialKey, StringComparison.Ordinal)]);
}
