using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

namespace Workers.Functions.Store;

/// <summary>The store on SQLite or PostgreSQL: one schema, one set of queries, the dialect for what differs.</summary>
/// <param name="dialect">The database.</param>
/// <param name="startTimeToLive">How long after a replica is placed its start command can still be carried out
/// (<see cref="FunctionsOptions.CommandTimeToLive"/>, its default when null): its dynamic host ports stay held that
/// long even if the replica ends first.</param>
public sealed class SqlDeploymentStore(SqlDialect dialect, TimeSpan? startTimeToLive = null) : IDeploymentStore
{
    private static readonly JsonSerializerOptions Json = StoreJson.Options;

    private readonly long _startTimeToLive = (long)(startTimeToLive ?? new FunctionsOptions().CommandTimeToLive).TotalMilliseconds;

    private const int LimitsCapacity = 100_000;

    // Parsed once and kept: both are immutable once stored (a heartbeat per taken_at, a revision's spec for good).
    private readonly ConcurrentDictionary<string, (long TakenAt, HostHeartbeat Heartbeat)> _heartbeats = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (long Cpu, long Memory)> _limits = new(StringComparer.Ordinal);

    private static readonly Dictionary<ReplicaState, ReplicaState[]> AllowedFrom = new()
    {
        [ReplicaState.Running] = [ReplicaState.Pending],
        [ReplicaState.Failed] = [ReplicaState.Pending, ReplicaState.Running],
        [ReplicaState.Stopping] = [ReplicaState.Pending, ReplicaState.Running, ReplicaState.Failed, ReplicaState.Lost],
        [ReplicaState.Stopped] = [ReplicaState.Pending, ReplicaState.Running, ReplicaState.Failed, ReplicaState.Stopping, ReplicaState.Lost],
        [ReplicaState.Lost] = [ReplicaState.Pending, ReplicaState.Running],
        [ReplicaState.Pending] = [],
    };

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (dialect.MigrationLock is { } lockStatement)
        {
            await ExecuteAsync(connection, transaction, lockStatement, cancellationToken);
        }

        // Under the lock: PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe against a concurrent one.
        await ExecuteAsync(connection, transaction, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", cancellationToken);

        var applied = Convert.ToInt32(await ScalarAsync(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM schema_version", cancellationToken), CultureInfo.InvariantCulture);
        for (var version = applied + 1; version <= Migrations.Steps.Count; version++)
        {
            foreach (var statement in Migrations.StatementsFor(version, dialect))
            {
                await ExecuteAsync(connection, transaction, statement, cancellationToken);
            }

            await ExecuteAsync(connection, transaction, "INSERT INTO schema_version (version) VALUES (@v)", cancellationToken, ("@v", version));
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task UpsertHostAsync(HostHeartbeat heartbeat, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, """
            INSERT INTO hosts (host_id, heartbeat, taken_at, received_at) VALUES (@h, @b, @t, @r)
            ON CONFLICT (host_id) DO UPDATE SET heartbeat = excluded.heartbeat, taken_at = excluded.taken_at, received_at = excluded.received_at, lost_at = NULL
            WHERE hosts.taken_at <= excluded.taken_at
            """, cancellationToken,
            ("@h", heartbeat.HostId), ("@b", JsonSerializer.Serialize(heartbeat, Json)), ("@t", heartbeat.Timestamp.ToUnixTimeMilliseconds()), ("@r", receivedAt.ToUnixTimeMilliseconds()));
    }

    public async Task<AgentIdentity> PinHostKeysAsync(string hostId, AgentIdentity keys, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, """
            INSERT INTO host_keys (host_id, signing_key, sealing_key, pinned_at) VALUES (@h, @s, @e, @t)
            ON CONFLICT (host_id) DO NOTHING
            """, cancellationToken,
            ("@h", hostId), ("@s", keys.SigningKey), ("@e", keys.SealingKey), ("@t", at.ToUnixTimeMilliseconds()));
        return await ReadHostKeysAsync(connection, hostId, cancellationToken) ?? keys;
    }

    public async Task<AgentIdentity?> GetHostKeysAsync(string hostId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ReadHostKeysAsync(connection, hostId, cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, AgentIdentity>> GetHostKeysAsync(IReadOnlyCollection<string> hostIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hostIds);
        if (hostIds.Count == 0)
        {
            return new Dictionary<string, AgentIdentity>(StringComparer.Ordinal);
        }

        var hosts = hostIds.Select((h, i) => ($"@h{i}", (object?)h)).ToArray();
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await QueryAsync(connection, null, $"SELECT host_id, signing_key, sealing_key FROM host_keys WHERE host_id IN ({string.Join(", ", hosts.Select(h => h.Item1))})", cancellationToken,
            reader => (HostId: reader.GetString(0), Keys: new AgentIdentity(reader.GetString(1), reader.GetString(2))), hosts);
        return rows.ToDictionary(r => r.HostId, r => r.Keys, StringComparer.Ordinal);
    }

    public async Task ReplaceHostKeysAsync(string hostId, AgentIdentity keys, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, """
            INSERT INTO host_keys (host_id, signing_key, sealing_key, pinned_at) VALUES (@h, @s, @e, @t)
            ON CONFLICT (host_id) DO UPDATE SET signing_key = excluded.signing_key, sealing_key = excluded.sealing_key, pinned_at = excluded.pinned_at
            """, cancellationToken,
            ("@h", hostId), ("@s", keys.SigningKey), ("@e", keys.SealingKey), ("@t", at.ToUnixTimeMilliseconds()));
    }

    public async Task<bool> ForgetHostKeysAsync(string hostId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ExecuteAsync(connection, null, "DELETE FROM host_keys WHERE host_id = @h", cancellationToken, ("@h", hostId)) > 0;
    }

    private static async Task<AgentIdentity?> ReadHostKeysAsync(DbConnection connection, string hostId, CancellationToken cancellationToken) =>
        (await QueryAsync(connection, null, "SELECT signing_key, sealing_key FROM host_keys WHERE host_id = @h", cancellationToken,
            reader => new AgentIdentity(reader.GetString(0), reader.GetString(1)), ("@h", hostId))).SingleOrDefault();

    public async Task<IReadOnlyList<HostRecord>> GetHostsAsync(CancellationToken cancellationToken)
    {
        // A plan reads every host; parsing every heartbeat each time cost more than the plan. Only heartbeats taken
        // since the last read are fetched and parsed; the rest come from the parsed copies (a heartbeat never changes
        // once stored: a newer one replaces it with a later taken_at).
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await QueryAsync(connection, null, "SELECT host_id, taken_at, received_at FROM hosts ORDER BY host_id", cancellationToken, reader =>
            (Id: reader.GetString(0), TakenAt: reader.GetInt64(1), ReceivedAt: reader.GetInt64(2)));
        var stale = rows.Where(r => !_heartbeats.TryGetValue(r.Id, out var known) || known.TakenAt != r.TakenAt).Select(r => r.Id).ToList();
        foreach (var chunk in stale.Chunk(500))
        {
            var parameters = chunk.Select((id, i) => ($"@h{i}", (object?)id)).ToArray();
            var fetched = await QueryAsync(connection, null, $"SELECT host_id, taken_at, heartbeat FROM hosts WHERE host_id IN ({string.Join(", ", parameters.Select(p => p.Item1))})", cancellationToken, reader =>
                (Id: reader.GetString(0), TakenAt: reader.GetInt64(1), Heartbeat: JsonSerializer.Deserialize<HostHeartbeat>(reader.GetString(2), Json)!), parameters);
            foreach (var host in fetched)
            {
                _heartbeats[host.Id] = (host.TakenAt, host.Heartbeat);
            }
        }

        var hosts = new List<HostRecord>(rows.Count);
        foreach (var row in rows)
        {
            // A heartbeat stored between the two reads is newer than the row: take it, it is the host's latest.
            if (_heartbeats.TryGetValue(row.Id, out var known))
            {
                hosts.Add(new HostRecord(known.Heartbeat, FromUnix(row.ReceivedAt)));
            }
        }

        return hosts;
    }

    public async Task RecordRejectionAsync(Guid deploymentId, string? name, string reason, IReadOnlyList<SpecProblem> problems, string requestedBy, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, """
            INSERT INTO revisions (deployment_id, name, revision, state, spec, reason, problems, requested_by, updated_at)
            VALUES (@d, @n, 0, @s, NULL, @r, @p, @by, @t)
            ON CONFLICT (deployment_id) DO NOTHING
            """, cancellationToken,
            ("@d", Id(deploymentId)), ("@n", name), ("@s", nameof(DeploymentState.Rejected)), ("@r", reason),
            ("@p", JsonSerializer.Serialize(problems, Json)), ("@by", requestedBy), ("@t", at.ToUnixTimeMilliseconds()));
    }

    public async Task<long> SavePlanAsync(Guid deploymentId, DeploymentSpec spec, string requestedBy, IReadOnlyList<ReplicaPlacement> placements, IReadOnlyCollection<PortReservation> displaced, DateTimeOffset at, CancellationToken cancellationToken) =>
        (await SavePlanAsync(deploymentId, spec, requestedBy, null, placements, displaced, at, cancellationToken))!.Value;

    public Task<long?> SavePlanAsync(Guid deploymentId, DeploymentSpec spec, string requestedBy, RequestTimes times, IReadOnlyList<ReplicaPlacement> placements, IReadOnlyCollection<PortReservation> displaced, DateTimeOffset at, CancellationToken cancellationToken) =>
        SavePlanAsync(deploymentId, spec, requestedBy, (RequestTimes?)times, placements, displaced, at, cancellationToken);

    private async Task<long?> SavePlanAsync(Guid deploymentId, DeploymentSpec spec, string requestedBy, RequestTimes? times, IReadOnlyList<ReplicaPlacement> placements, IReadOnlyCollection<PortReservation> displaced, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(placements);
        ArgumentNullException.ThrowIfNull(displaced);
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            var existing = await ScalarAsync(connection, transaction, "SELECT revision FROM revisions WHERE deployment_id = @d", cancellationToken, ("@d", Id(deploymentId)));
            if (existing is not null and not DBNull)
            {
                // Planned before (a redelivery, or a retry after a crash): the first plan stands.
                return Convert.ToInt64(existing, CultureInfo.InvariantCulture);
            }

            var name = spec.Name.Value;
            if (times is { } order && await ScalarAsync(connection, transaction, """
                SELECT revision FROM revisions
                WHERE name = @n AND revision > 0 AND requested_at > @r AND planned_at >= @a
                ORDER BY revision DESC LIMIT 1
                """, cancellationToken, ("@n", name), ("@r", order.RequestedAt.ToUnixTimeMilliseconds()), ("@a", order.AcceptedAt.ToUnixTimeMilliseconds())) is not (null or DBNull))
            {
                // A later request for the name was planned while this one was in flight: it stays current. Were this
                // one planned now, the older request would run. If the later one's plan is not committed yet, the
                // revision number collides below and the retry comes back here.
                return null;
            }

            var revision = Convert.ToInt64(await ScalarAsync(connection, transaction, NextRevision, cancellationToken, ("@n", name)), CultureInfo.InvariantCulture);
            var time = at.ToUnixTimeMilliseconds();
            await ExecuteAsync(connection, transaction, """
                INSERT INTO revisions (deployment_id, name, revision, state, spec, reason, problems, requested_by, updated_at, requested_at, planned_at)
                VALUES (@d, @n, @v, @s, @spec, NULL, '[]', @by, @t, CAST(@r AS BIGINT), @t)
                """, cancellationToken,
                ("@d", Id(deploymentId)), ("@n", name), ("@v", revision), ("@s", nameof(DeploymentState.Pending)),
                ("@spec", SpecWriter.ToJson(spec)), ("@by", requestedBy), ("@t", time), ("@r", times?.RequestedAt.ToUnixTimeMilliseconds()));
            await ExecuteAsync(connection, transaction, """
                INSERT INTO deployments (name, deployment_id, revision) VALUES (@n, @d, @v)
                ON CONFLICT (name) DO UPDATE SET deployment_id = excluded.deployment_id, revision = excluded.revision
                WHERE deployments.revision < excluded.revision
                """, cancellationToken, ("@n", name), ("@d", Id(deploymentId)), ("@v", revision));

            await DisplaceAsync(connection, transaction, displaced, time, cancellationToken);
            await InsertReplicasAsync(connection, transaction, deploymentId, name, revision, spec, placements, time, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return revision;
        }
        catch (DbException e) when (dialect.IsUniqueViolation(e))
        {
            throw new ConcurrencyConflictException($"a concurrent deployment took a host port or revision of '{spec.Name}'", e);
        }
    }

    public async Task<RevisionRecord?> GetRevisionAsync(Guid deploymentId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await QueryAsync(connection, null, $"""
            SELECT {RevisionColumns} FROM revisions r
            WHERE r.deployment_id = COALESCE((SELECT a.target_id FROM request_aliases a WHERE a.deployment_id = @d), @d)
            """, cancellationToken, ReadRevision, ("@d", Id(deploymentId)));
        return rows.Count > 0 ? rows[0] : null;
    }

    public async Task AliasRequestAsync(Guid deploymentId, Guid targetId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, "INSERT INTO request_aliases (deployment_id, target_id) VALUES (@d, @t) ON CONFLICT (deployment_id) DO NOTHING", cancellationToken,
            ("@d", Id(deploymentId)), ("@t", Id(targetId)));
    }

    public async Task SetCurrentRevisionAsync(string name, Guid deploymentId, long revision, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, "UPDATE deployments SET deployment_id = @d, revision = @v WHERE name = @n", cancellationToken,
            ("@n", name), ("@d", Id(deploymentId)), ("@v", revision));
    }

    public Task<IReadOnlyList<RevisionRecord>> GetRevisionsAsync(string name, CancellationToken cancellationToken) =>
        GetRevisionsAsync(name, new RevisionFilter(), cancellationToken);

    public async Task<IReadOnlyList<RevisionRecord>> GetRevisionsAsync(string name, RevisionFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var parameters = new List<(string, object?)> { ("@n", name) };
        var where = "r.name = @n AND r.revision > 0";
        if (filter.States is { } states)
        {
            where += $" AND r.state IN ({string.Join(", ", states.Select((_, i) => $"@s{i}"))})";
            parameters.AddRange(states.Select((s, i) => ($"@s{i}", (object?)s.ToString())));
        }

        if (filter.Below is { } below)
        {
            where += " AND r.revision < @b";
            parameters.Add(("@b", below));
        }

        var limit = filter.Limit is { } n ? $" LIMIT {n.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : string.Empty;
        await using var connection = await OpenAsync(cancellationToken);
        return await QueryAsync(connection, null, $"SELECT {RevisionColumns} FROM revisions r WHERE {where} ORDER BY r.revision DESC{limit}", cancellationToken, ReadRevision, [.. parameters]);
    }

    /// <summary>
    /// The next revision number of a name (<c>@n</c>). Only planned revisions count (a rejected request is revision 0),
    /// and saying so lets the read use the partial index on (name, revision) instead of scanning every revision of every
    /// name, once per plan.
    /// </summary>
    internal const string NextRevision = "SELECT COALESCE(MAX(revision), 0) + 1 FROM revisions WHERE name = @n AND revision > 0";

    private const string UpdateHealth = """
        UPDATE replicas SET state = 'Running', container_id = COALESCE(@c, container_id), health = @h, health_at = @t,
            reason = CASE WHEN @h = 'Unhealthy' THEN @r ELSE reason END, updated_at = CASE WHEN state = 'Pending' THEN @t ELSE updated_at END
        WHERE deployment_id = @d AND idx = @i AND state IN ('Pending', 'Running') AND (health_at IS NULL OR health_at <= @t)
          AND (health IS NULL OR health <> @h OR state = 'Pending')
        """;

    public async Task<bool> UpdateReplicaHealthAsync(Guid deploymentId, int index, ReplicaHealth health, string? containerId, string? reason, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ExecuteAsync(connection, null, UpdateHealth, cancellationToken,
            ("@d", Id(deploymentId)), ("@i", index), ("@h", health.ToString()), ("@c", containerId), ("@r", reason), ("@t", at.ToUnixTimeMilliseconds())) > 0;
    }

    public Task<int> UpdateReplicaHealthAsync(IReadOnlyList<ReplicaHealthChanged> reports, CancellationToken cancellationToken) =>
        ExecuteForEachReplicaAsync(reports, r => (r.CorrelationId, r.Index), r => (UpdateHealth,
            [("@d", Id(r.CorrelationId)), ("@i", r.Index), ("@h", r.Health.ToString()), ("@c", r.ContainerId), ("@r", r.Reason), ("@t", r.Timestamp.ToUnixTimeMilliseconds())]),
            cancellationToken);

    public Task<int> MarkRunningAsync(IReadOnlyList<ReplicaStarted> started, DateTimeOffset at, CancellationToken cancellationToken) =>
        ExecuteForEachReplicaAsync(started, r => (r.CorrelationId, r.Index), r => MoveReplica(r.CorrelationId, r.Index, ReplicaState.Running, r.ContainerId, r.Ports, null, at), cancellationToken);

    /// <summary>
    /// The statement <paramref name="statement"/> makes for each of <paramref name="items"/>, all in one transaction; how
    /// many rows they changed. The rows are taken in key order, as every batch takes them, so two batches never wait on
    /// each other crosswise.
    /// </summary>
    private async Task<int> ExecuteForEachReplicaAsync<T>(IReadOnlyList<T> items, Func<T, (Guid DeploymentId, int Index)> key, Func<T, (string Sql, (string Name, object? Value)[] Parameters)> statement, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var statements = items.OrderBy(i => Id(key(i).DeploymentId), StringComparer.Ordinal).ThenBy(i => key(i).Index).Select(statement).ToList();
        if (statements.Count == 0)
        {
            // Npgsql refuses a batch of no statements; nothing to move is no change.
            return 0;
        }

        await using var connection = await OpenAsync(cancellationToken);
        if (connection.CanCreateBatch)
        {
            // PostgreSQL: every statement in one round trip, which the server runs as one implicit transaction.
            await using var batch = connection.CreateBatch();
            foreach (var (sql, parameters) in statements)
            {
                var command = batch.CreateBatchCommand();
#pragma warning disable CA2100 // The SQL is this class's own text; values always travel as parameters.
                command.CommandText = sql;
#pragma warning restore CA2100
                foreach (var (name, value) in parameters)
                {
                    command.Parameters.Add(Parameter(command.CreateParameter(), name, value));
                }

                batch.BatchCommands.Add(command);
            }

            return await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var changed = 0;
        foreach (var (sql, parameters) in statements)
        {
            changed += await ExecuteAsync(connection, transaction, sql, cancellationToken, parameters);
        }

        await transaction.CommitAsync(cancellationToken);
        return changed;
    }

    public async Task<IReadOnlyList<RevisionRecord>> GetCurrentRevisionsAsync(string? name, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        const string select = $"SELECT {RevisionColumns} FROM deployments d JOIN revisions r ON r.deployment_id = d.deployment_id";
        return name is null
            ? await QueryAsync(connection, null, select + " ORDER BY d.name", cancellationToken, ReadRevision)
            : await QueryAsync(connection, null, select + " WHERE d.name = @n", cancellationToken, ReadRevision, ("@n", name));
    }

    public async Task<IReadOnlyList<RevisionRecord>> GetOlderActiveRevisionsAsync(string name, long revision, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await QueryAsync(connection, null, $"""
            SELECT {RevisionColumns} FROM revisions r
            WHERE r.name = @n AND r.revision > 0 AND r.revision < @v
              AND EXISTS (SELECT 1 FROM replicas p WHERE p.deployment_id = r.deployment_id AND p.state <> 'Stopped')
            ORDER BY r.revision
            """, cancellationToken, ReadRevision, ("@n", name), ("@v", revision));
    }

    public async Task<IReadOnlyList<RevisionRecord>> GetLiveRevisionsAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await QueryAsync(connection, null, $"""
            SELECT {RevisionColumns} FROM revisions r
            WHERE r.name = @n AND r.revision > 0
              AND EXISTS (SELECT 1 FROM replicas p WHERE p.deployment_id = r.deployment_id AND p.state IN ('Pending', 'Running', 'Stopping'))
            ORDER BY r.revision
            """, cancellationToken, ReadRevision, ("@n", name));
    }

    public async Task<bool> MarkHostLostAsync(string hostId, DateTimeOffset receivedAt, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ExecuteAsync(connection, null, "UPDATE hosts SET lost_at = @t WHERE host_id = @h AND received_at = @r AND lost_at IS NULL", cancellationToken,
            ("@h", hostId), ("@r", receivedAt.ToUnixTimeMilliseconds()), ("@t", at.ToUnixTimeMilliseconds())) > 0;
    }

    public async Task<bool> AppendEventAsync(WorkersEvent entry, string? key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await using var connection = await OpenAsync(cancellationToken);
        return await ExecuteAsync(connection, null, """
            INSERT INTO events (at, kind, name, revision, host_id, idx, message, event_key) VALUES (@t, @k, @n, CAST(@v AS BIGINT), @h, CAST(@i AS INTEGER), @m, @key)
            ON CONFLICT (event_key) DO NOTHING
            """, cancellationToken,
            ("@t", entry.At.ToUnixTimeMilliseconds()), ("@k", entry.Kind), ("@n", entry.Name), ("@v", entry.Revision), ("@h", entry.HostId),
            ("@i", entry.Replica), ("@m", entry.Message), ("@key", key)) > 0;
    }

    public async Task<IReadOnlyList<WorkersEvent>> GetEventsAsync(EventQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new List<string>();
        var parameters = new List<(string, object?)> { ("@l", Math.Clamp(query.Limit, 1, 1000)) };
        if (query.Name is not null)
        {
            where.Add("name = @n");
            parameters.Add(("@n", query.Name));
        }

        if (query.After is { } after)
        {
            where.Add("seq > @a");
            parameters.Add(("@a", after));
        }

        if (query.Since is { } since)
        {
            where.Add("at >= @s");
            parameters.Add(("@s", since.ToUnixTimeMilliseconds()));
        }

        await using var connection = await OpenAsync(cancellationToken);
        var rows = await QueryAsync(connection, null, $"""
            SELECT seq, at, kind, name, revision, host_id, idx, message FROM events
            {(where.Count == 0 ? string.Empty : "WHERE " + string.Join(" AND ", where))}
            ORDER BY seq DESC LIMIT @l
            """, cancellationToken, reader => new WorkersEvent(
                reader.GetInt64(0), FromUnix(reader.GetInt64(1)), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetInt64(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetInt32(6), reader.GetString(7)), [.. parameters]);
        return [.. rows.Reverse()];
    }

    public async Task<int> PruneEventsAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ExecuteAsync(connection, null, "DELETE FROM events WHERE at < @t", cancellationToken, ("@t", before.ToUnixTimeMilliseconds()));
    }

    public async Task<IReadOnlyList<string>> RefreshStatisticsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await dialect.RefreshStatisticsAsync(connection, cancellationToken);
    }

    public async Task<IReadOnlyList<ReplicaRecord>> GetReplicasAsync(Guid deploymentId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await QueryAsync(connection, null, $"SELECT {ReplicaColumns} FROM replicas WHERE deployment_id = @d ORDER BY idx", cancellationToken, ReadReplica, ("@d", Id(deploymentId)));
    }

    public async Task<ReplicaRecord?> FindReplicaAsync(Guid deploymentId, int index, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await QueryAsync(connection, null, $"SELECT {ReplicaColumns} FROM replicas WHERE deployment_id = @d AND idx = @i", cancellationToken, ReadReplica, ("@d", Id(deploymentId)), ("@i", index));
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<IReadOnlyList<ReplicaRecord>> GetActiveReplicasAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await QueryAsync(connection, null, $"SELECT {ReplicaColumns} FROM replicas WHERE state IN ('Pending', 'Running', 'Stopping') ORDER BY deployment_id, idx", cancellationToken, ReadReplica);
    }

    public async Task<IReadOnlyList<ReplicaRecord>> GetReplicasOnHostAsync(string hostId, DateTimeOffset changedSince, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await QueryAsync(connection, null, $"""
            SELECT {ReplicaColumns} FROM replicas WHERE host_id = @h AND (state IN ('Pending', 'Running', 'Stopping') OR updated_at >= @t)
            """, cancellationToken, ReadReplica, ("@h", hostId), ("@t", changedSince.ToUnixTimeMilliseconds()));
    }

    public async Task<ReplicaRecord?> FindReplicaOnHostAsync(string hostId, string name, long revision, int index, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await QueryAsync(connection, null, $"SELECT {ReplicaColumns} FROM replicas WHERE name = @n AND revision = @v AND idx = @i AND host_id = @h", cancellationToken, ReadReplica,
            ("@n", name), ("@v", revision), ("@i", index), ("@h", hostId));
        return rows.Count > 0 ? rows[0] : null;
    }

    public async Task<bool> AddReplicasAsync(Guid deploymentId, string name, long revision, IReadOnlyList<ReplicaPlacement> placements, IReadOnlyCollection<PortReservation> displaced, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(placements);
        ArgumentNullException.ThrowIfNull(displaced);
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            // The revision's row first, written to take its lock: a delete that marks it deleting waits for this
            // transaction and then finds (and stops) these replicas, or went first and leaves nothing to add to. Its
            // spec says which host ports are fixed.
            if (await ScalarAsync(connection, transaction, "UPDATE revisions SET updated_at = updated_at WHERE deployment_id = @d AND state <> @deleting RETURNING spec", cancellationToken,
                    ("@d", Id(deploymentId)), ("@deleting", nameof(DeploymentState.Deleting))) is not string spec)
            {
                await transaction.RollbackAsync(cancellationToken);
                return false;
            }

            await DisplaceAsync(connection, transaction, displaced, at.ToUnixTimeMilliseconds(), cancellationToken);
            await InsertReplicasAsync(connection, transaction, deploymentId, name, revision, SpecCache.Get(spec, Json), placements, at.ToUnixTimeMilliseconds(), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return true;
        }
        catch (DbException e) when (dialect.IsUniqueViolation(e))
        {
            throw new ConcurrencyConflictException($"a concurrent deployment took a host port, or the replacement of '{name}' was already placed", e);
        }
    }

    private const string ReplicaColumns = "deployment_id, name, revision, idx, host_id, state, container_id, ports, reason, updated_at, health, health_at";

    private static ReplicaRecord ReadReplica(DbDataReader reader) => new(
        Guid.Parse(reader.GetString(0)),
        reader.GetString(1),
        reader.GetInt64(2),
        reader.GetInt32(3),
        reader.GetString(4),
        Enum.Parse<ReplicaState>(reader.GetString(5)),
        reader.IsDBNull(6) ? null : reader.GetString(6),
        JsonSerializer.Deserialize<List<PortBinding>>(reader.GetString(7), Json)!,
        reader.IsDBNull(8) ? null : reader.GetString(8),
        FromUnix(reader.GetInt64(9)),
        reader.IsDBNull(10) ? null : Enum.Parse<ReplicaHealth>(reader.GetString(10)),
        reader.IsDBNull(11) ? null : FromUnix(reader.GetInt64(11)));

    public async Task<IReadOnlyList<ReplicaLimits>> GetActiveReplicaLimitsAsync(CancellationToken cancellationToken)
    {
        // The limits come from each revision's spec, which never changes: read and parse a spec once per revision,
        // not once per replica per plan.
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await QueryAsync(connection, null, """
            SELECT host_id, name, revision, idx, deployment_id FROM replicas WHERE state IN ('Pending', 'Running', 'Stopping')
            """, cancellationToken, reader => (Host: reader.GetString(0), Name: reader.GetString(1), Revision: reader.GetInt64(2), Index: reader.GetInt32(3), Id: reader.GetString(4)));
        var missing = rows.Select(r => r.Id).Where(id => !_limits.ContainsKey(id)).Distinct(StringComparer.Ordinal).ToList();
        if (_limits.Count + missing.Count > LimitsCapacity)
        {
            _limits.Clear();
            missing = [.. rows.Select(r => r.Id).Distinct(StringComparer.Ordinal)];
        }

        foreach (var chunk in missing.Chunk(500))
        {
            var parameters = chunk.Select((id, i) => ($"@d{i}", (object?)id)).ToArray();
            var specs = await QueryAsync(connection, null, $"SELECT deployment_id, spec FROM revisions WHERE deployment_id IN ({string.Join(", ", parameters.Select(p => p.Item1))})", cancellationToken, reader =>
                (Id: reader.GetString(0), Resources: SpecCache.Get(reader.GetString(1), Json).Resources), parameters);
            foreach (var (id, resources) in specs)
            {
                _limits[id] = (resources.Cpu?.Millicores ?? 0, resources.Memory?.Bytes ?? 0);
            }
        }

        return [.. rows.Select(row =>
        {
            var (cpu, memory) = _limits.GetValueOrDefault(row.Id);
            return new ReplicaLimits(row.Host, row.Name, row.Revision, row.Index, cpu, memory);
        })];
    }

    public async Task<IReadOnlyList<PortReservation>> GetReservationsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await QueryAsync(connection, null, "SELECT host_id, host_port, protocol, deployment_id, name, idx, held_until FROM port_reservations", cancellationToken, reader =>
            new PortReservation(reader.GetString(0), reader.GetInt32(1), Enum.Parse<Protocol>(reader.GetString(2)), Guid.Parse(reader.GetString(3)), reader.GetString(4), reader.GetInt32(5),
                reader.IsDBNull(6) ? null : FromUnix(reader.GetInt64(6))));
    }

    public async Task<int> ReleaseHeldPortsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ExecuteAsync(connection, null, "DELETE FROM port_reservations WHERE held_until IS NOT NULL AND held_until <= @t", cancellationToken, ("@t", now.ToUnixTimeMilliseconds()));
    }

    /// <summary>The statement that moves one replica to <paramref name="state"/> if that is forward from where it is, with its parameters.</summary>
    private static (string Sql, (string Name, object? Value)[] Parameters) MoveReplica(Guid deploymentId, int index, ReplicaState state, string? containerId, IReadOnlyList<PortBinding>? ports, string? reason, DateTimeOffset at)
    {
        var from = AllowedFrom[state];
        var parameters = new List<(string Name, object? Value)>
        {
            ("@d", Id(deploymentId)), ("@i", index), ("@s", state.ToString()), ("@c", containerId),
            ("@p", ports is null ? null : JsonSerializer.Serialize(ports, Json)), ("@r", reason), ("@t", at.ToUnixTimeMilliseconds()),
        };
        var allowed = string.Join(", ", from.Select((s, i) => $"@f{i}"));
        parameters.AddRange(from.Select((s, i) => ($"@f{i}", (object?)s.ToString())));
        return ($"""
            UPDATE replicas SET state = @s, container_id = COALESCE(@c, container_id), ports = COALESCE(@p, ports),
                reason = COALESCE(@r, reason), updated_at = @t
            WHERE deployment_id = @d AND idx = @i AND state IN ({allowed})
            """, [.. parameters]);
    }

    public async Task<bool> UpdateReplicaAsync(Guid deploymentId, int index, ReplicaState state, string? containerId, IReadOnlyList<PortBinding>? ports, string? reason, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var from = AllowedFrom[state];
        if (from.Length == 0)
        {
            return false;
        }

        // Only an end (failed, stopped, lost) also frees ports, and needs the two writes in one transaction; the
        // common move (pending to running) is a single statement.
        var frees = state is ReplicaState.Failed or ReplicaState.Stopped or ReplicaState.Lost;
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = frees ? await connection.BeginTransactionAsync(cancellationToken) : null;
        var (sql, parameters) = MoveReplica(deploymentId, index, state, containerId, ports, reason, at);
        var changed = await ExecuteAsync(connection, transaction, sql, cancellationToken, parameters);
        if (transaction is not null)
        {
            if (changed > 0)
            {
                // A start that has not expired may still be carried out (a duplicate, a redelivery) and bring the
                // replica up on its dynamic ports: those stay held until it has expired; the rest are free now.
                await ExecuteAsync(connection, transaction, """
                    UPDATE port_reservations SET held_until = free_from WHERE deployment_id = @d AND idx = @i AND free_from > @t
                    """, cancellationToken, ("@d", Id(deploymentId)), ("@i", index), ("@t", at.ToUnixTimeMilliseconds()));
                await ExecuteAsync(connection, transaction, "DELETE FROM port_reservations WHERE deployment_id = @d AND idx = @i AND held_until IS NULL", cancellationToken,
                    ("@d", Id(deploymentId)), ("@i", index));
            }

            await transaction.CommitAsync(cancellationToken);
        }

        return changed > 0;
    }

    public Task<bool> TransitionRevisionAsync(Guid deploymentId, IReadOnlyCollection<DeploymentState> from, DeploymentState to, string? reason, DateTimeOffset at, CancellationToken cancellationToken) =>
        TransitionAsync(deploymentId, from, to, reason, at, null, cancellationToken);

    public Task<bool> TransitionRevisionAsync(Guid deploymentId, IReadOnlyCollection<DeploymentState> from, DeploymentState to, string? reason, DateTimeOffset at, OutboxMessage outcome, CancellationToken cancellationToken) =>
        TransitionAsync(deploymentId, from, to, reason, at, outcome ?? throw new ArgumentNullException(nameof(outcome)), cancellationToken);

    public async Task<IReadOnlyList<OutboxMessage>> GetOutboxAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await QueryAsync(connection, null, "SELECT message_id, message_type, body, created_at FROM outbox WHERE created_at <= @t ORDER BY created_at", cancellationToken,
            reader => (Id: Guid.Parse(reader.GetString(0)), Type: reader.GetString(1), Body: reader.GetString(2), At: FromUnix(reader.GetInt64(3))), ("@t", before.ToUnixTimeMilliseconds()));
        return [.. rows.Where(r => OutboxMessage.Types.ContainsKey(r.Type)).Select(r => new OutboxMessage(r.Id, JsonSerializer.Deserialize(r.Body, OutboxMessage.Types[r.Type], Json)!, r.At))];
    }

    public async Task ClearOutboxAsync(Guid messageId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, "DELETE FROM outbox WHERE message_id = @m", cancellationToken, ("@m", Id(messageId)));
    }

    private async Task<bool> TransitionAsync(Guid deploymentId, IReadOnlyCollection<DeploymentState> from, DeploymentState to, string? reason, DateTimeOffset at, OutboxMessage? outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(from);
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = outcome is null ? null : await connection.BeginTransactionAsync(cancellationToken);
        var parameters = new List<(string, object?)> { ("@d", Id(deploymentId)), ("@s", to.ToString()), ("@r", reason), ("@t", at.ToUnixTimeMilliseconds()) };
        parameters.AddRange(from.Select((s, i) => ($"@f{i}", (object?)s.ToString())));
        var allowed = string.Join(", ", from.Select((s, i) => $"@f{i}"));
        var changed = await ExecuteAsync(connection, transaction, $"""
            UPDATE revisions SET state = @s, reason = COALESCE(@r, reason), updated_at = @t
            WHERE deployment_id = @d AND state IN ({allowed})
            """, cancellationToken, [.. parameters]) > 0;
        if (transaction is not null)
        {
            if (changed)
            {
                await ExecuteAsync(connection, transaction, "INSERT INTO outbox (message_id, message_type, body, created_at) VALUES (@m, @y, @b, @t)", cancellationToken,
                    ("@m", Id(outcome!.MessageId)), ("@y", outcome.Message.GetType().Name), ("@b", JsonSerializer.Serialize(outcome.Message, outcome.Message.GetType(), Json)), ("@t", outcome.CreatedAt.ToUnixTimeMilliseconds()));
            }

            await transaction.CommitAsync(cancellationToken);
        }

        return changed;
    }

    public async Task<bool> ForgetDeploymentAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ExecuteAsync(connection, null, "DELETE FROM deployments WHERE name = @n", cancellationToken, ("@n", name)) > 0;
    }

    /// <summary>Older replicas whose host ports new ones take: stopping, their reservations released.</summary>
    private static async Task DisplaceAsync(DbConnection connection, DbTransaction transaction, IReadOnlyCollection<PortReservation> displaced, long time, CancellationToken cancellationToken)
    {
        foreach (var old in displaced)
        {
            await ExecuteAsync(connection, transaction, """
                UPDATE replicas SET state = 'Stopping', updated_at = @t WHERE deployment_id = @d AND idx = @i AND state IN ('Pending', 'Running', 'Failed')
                """, cancellationToken, ("@t", time), ("@d", Id(old.DeploymentId)), ("@i", old.Index));
            await ExecuteAsync(connection, transaction, "DELETE FROM port_reservations WHERE deployment_id = @d AND idx = @i", cancellationToken, ("@d", Id(old.DeploymentId)), ("@i", old.Index));
        }
    }

    /// <summary>Rows per multi-row INSERT: far below either engine's limit on parameters (SQLite's 32,766).</summary>
    private const int RowsPerInsert = 100;

    private async Task InsertReplicasAsync(DbConnection connection, DbTransaction transaction, Guid deploymentId, string name, long revision, DeploymentSpec spec, IReadOnlyList<ReplicaPlacement> placements, long time, CancellationToken cancellationToken)
    {
        // Multi-row statements, not one per row: a plan of ten replicas was twenty round trips, and the plan passes
        // make them one deployment after another. container_id and reason start NULL, their default.
        var id = Id(deploymentId);
        await InsertManyAsync(
            connection, transaction, "replicas (deployment_id, idx, name, revision, host_id, state, ports, updated_at)", placements,
            p => [id, p.Index, name, revision, p.HostId, nameof(ReplicaState.Pending), JsonSerializer.Serialize(p.Ports, Json), time],
            cancellationToken);
        // A port the planner chose is free once the start has expired; a port the spec fixes is the spec's to hand over
        // (a later revision, a replacement on the same host), so it is free once its replica ends, as it always was.
        var fixedPorts = spec.Ports.Where(p => p.Host is not null).Select(p => (p.Host!.Value, p.Protocol)).ToHashSet();
        var startExpiresAt = time + _startTimeToLive;
        await InsertManyAsync(
            connection, transaction, "port_reservations (host_id, host_port, protocol, deployment_id, name, idx, free_from)",
            placements.SelectMany(p => p.Ports.Select(b => (p.HostId, b.HostPort, b.Protocol, p.Index))),
            b => [b.HostId, b.HostPort, b.Protocol.ToString(), id, name, b.Index, fixedPorts.Contains((b.HostPort, b.Protocol)) ? time : startExpiresAt],
            cancellationToken);
    }

    /// <summary>
    /// <c>INSERT INTO {into} VALUES (…), (…)</c>, <see cref="RowsPerInsert"/> rows a statement; every value travels as a
    /// parameter (<c>@r{row}c{column}</c>).
    /// </summary>
    private static async Task InsertManyAsync<T>(DbConnection connection, DbTransaction transaction, string into, IEnumerable<T> items, Func<T, object?[]> values, CancellationToken cancellationToken)
    {
        foreach (var chunk in items.Chunk(RowsPerInsert))
        {
            var parameters = new List<(string Name, object? Value)>();
            var rows = new List<string>(chunk.Length);
            for (var row = 0; row < chunk.Length; row++)
            {
                var names = new List<string>();
                foreach (var value in values(chunk[row]))
                {
                    var parameter = $"@r{row}c{names.Count}";
                    names.Add(parameter);
                    parameters.Add((parameter, value));
                }

                rows.Add($"({string.Join(", ", names)})");
            }

            await ExecuteAsync(connection, transaction, $"INSERT INTO {into} VALUES {string.Join(", ", rows)}", cancellationToken, [.. parameters]);
        }
    }

    public async Task<bool> TryClaimDeliveryAsync(string source, string deliveryId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ExecuteAsync(connection, null, """
            INSERT INTO webhook_deliveries (source, delivery_id, received_at) VALUES (@s, @d, @t)
            ON CONFLICT (source, delivery_id) DO NOTHING
            """, cancellationToken, ("@s", source), ("@d", deliveryId), ("@t", at.ToUnixTimeMilliseconds())) > 0;
    }

    public async Task ReleaseDeliveryAsync(string source, string deliveryId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, "DELETE FROM webhook_deliveries WHERE source = @s AND delivery_id = @d", cancellationToken, ("@s", source), ("@d", deliveryId));
    }

    private const string RevisionColumns = "r.deployment_id, r.name, r.revision, r.state, r.spec, r.reason, r.problems, r.requested_by, r.updated_at";

    private static RevisionRecord ReadRevision(DbDataReader reader) => new(
        Guid.Parse(reader.GetString(0)),
        reader.IsDBNull(1) ? null : reader.GetString(1),
        reader.GetInt64(2),
        Enum.Parse<DeploymentState>(reader.GetString(3)),
        reader.IsDBNull(4) ? null : SpecCache.Get(reader.GetString(4), Json),
        reader.IsDBNull(5) ? null : reader.GetString(5),
        JsonSerializer.Deserialize<List<SpecProblem>>(reader.GetString(6), Json)!,
        reader.GetString(7),
        FromUnix(reader.GetInt64(8)));

    private static string Id(Guid id) => id.ToString("D");

    private static DateTimeOffset FromUnix(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = dialect.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        if (dialect.OnOpen is { } statements)
        {
            await ExecuteAsync(connection, null, statements, cancellationToken);
        }

        return connection;
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
#pragma warning disable CA2100 // The SQL is this class's own text; values always travel as parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(Parameter(command.CreateParameter(), name, value));
        }

        return command;
    }

    private static DbParameter Parameter(DbParameter parameter, string name, object? value)
    {
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        if (value is null)
        {
            parameter.DbType = DbType.String;
        }

        return parameter;
    }

    private static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<object?> ScalarAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    private static async Task<IReadOnlyList<T>> QueryAsync<T>(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, Func<DbDataReader, T> read, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
