using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

namespace Workers.Functions.Store;

/// <summary>The secrets on SQLite or PostgreSQL, beside the deployment store: ciphertext and nonce as base64 text.</summary>
public sealed class SqlSecretStore(SqlDialect dialect, SecretsKeySource keys) : ISecretStore
{
    public async Task<SecretOutcome> SetAsync(SecretName name, ReadOnlyMemory<byte> value, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = keys.GetOrCreate();
        var (ciphertext, nonce) = key.Encrypt(name.Value, value.Span);
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var existed = await ScalarAsync(connection, transaction, "SELECT 1 FROM secrets WHERE name = @n", cancellationToken, ("@n", name.Value)) is not null;
        await ExecuteAsync(connection, transaction, """
            INSERT INTO secrets (name, ciphertext, nonce, key_id, created_at, updated_at) VALUES (@n, @c, @o, @k, @t, @t)
            ON CONFLICT (name) DO UPDATE SET ciphertext = excluded.ciphertext, nonce = excluded.nonce, key_id = excluded.key_id, updated_at = excluded.updated_at
            """, cancellationToken,
            ("@n", name.Value), ("@c", Convert.ToBase64String(ciphertext)), ("@o", Convert.ToBase64String(nonce)), ("@k", key.KeyId), ("@t", at.ToUnixTimeMilliseconds()));
        await transaction.CommitAsync(cancellationToken);
        return existed ? SecretOutcome.Updated : SecretOutcome.Created;
    }

    public async Task<bool> DeleteAsync(SecretName name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        await using var connection = await OpenAsync(cancellationToken);
        return await ExecuteAsync(connection, null, "DELETE FROM secrets WHERE name = @n", cancellationToken, ("@n", name.Value)) > 0;
    }

    public async Task<IReadOnlyList<SecretSummary>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await QueryAsync(connection, "SELECT name, created_at, updated_at FROM secrets ORDER BY name", cancellationToken,
            reader => new SecretSummary(reader.GetString(0), FromUnix(reader.GetInt64(1)), FromUnix(reader.GetInt64(2))));
    }

    public async Task<IReadOnlySet<SecretName>> ExistingAsync(IEnumerable<SecretName> names, CancellationToken cancellationToken)
    {
        var wanted = names.Distinct().ToList();
        if (wanted.Count == 0)
        {
            return new HashSet<SecretName>();
        }

        await using var connection = await OpenAsync(cancellationToken);
        var (list, parameters) = In(wanted);
        var found = await QueryAsync(connection, $"SELECT name FROM secrets WHERE name IN ({list})", cancellationToken, reader => reader.GetString(0), parameters);
        return wanted.Where(n => found.Contains(n.Value, StringComparer.Ordinal)).ToHashSet();
    }

    public async Task<IReadOnlyDictionary<SecretName, byte[]>> RevealAsync(IEnumerable<SecretName> names, CancellationToken cancellationToken)
    {
        var wanted = names.Distinct().ToList();
        var values = new Dictionary<SecretName, byte[]>();
        if (wanted.Count == 0)
        {
            return values;
        }

        await using var connection = await OpenAsync(cancellationToken);
        var (list, parameters) = In(wanted);
        var rows = await QueryAsync(connection, $"SELECT name, ciphertext, nonce, key_id FROM secrets WHERE name IN ({list})", cancellationToken,
            reader => (Name: reader.GetString(0), Ciphertext: reader.GetString(1), Nonce: reader.GetString(2), KeyId: reader.GetString(3)), parameters);
        if (rows.Count == 0)
        {
            return values;
        }

        var key = keys.Existing() ?? throw new SecretsKeyException($"secrets are stored but there is no key to open them: {keys.Describe}");
        foreach (var row in rows)
        {
            if (row.KeyId != key.KeyId)
            {
                throw new SecretsKeyException($"secret '{row.Name}' was encrypted with key {row.KeyId}, but {keys.Describe} is key {key.KeyId}");
            }

            try
            {
                values[SecretName.From(row.Name)] = key.Decrypt(row.Name, Convert.FromBase64String(row.Ciphertext), Convert.FromBase64String(row.Nonce));
            }
            catch (Exception e) when (e is CryptographicException or FormatException)
            {
                throw new SecretsKeyException($"secret '{row.Name}' does not open with {keys.Describe}: its stored value is damaged", e);
            }
        }

        return values;
    }

    public async Task CheckKeyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var stored = await QueryAsync(connection, "SELECT key_id, COUNT(*) FROM secrets GROUP BY key_id ORDER BY key_id", cancellationToken,
            reader => (KeyId: reader.GetString(0), Count: Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture)));
        if (stored.Count == 0)
        {
            return;
        }

        var count = stored.Sum(s => s.Count);
        var key = keys.Existing() ?? throw new SecretsKeyException(
            $"{count} secret(s) are stored but there is no key to open them: set {SecretsKeySource.Setting} to the key they were set with (base64 of 32 bytes)"
            + (keys.File is { } file ? $", or put back the key file {file}" : string.Empty));
        var foreign = stored.Where(s => s.KeyId != key.KeyId).ToList();
        if (foreign.Count > 0)
        {
            throw new SecretsKeyException(
                $"{foreign.Sum(s => s.Count)} stored secret(s) were encrypted with key {string.Join(", ", foreign.Select(s => s.KeyId))}, but {keys.Describe} is key {key.KeyId}: give the key they were set with");
        }
    }

    private static (string List, (string Name, object? Value)[] Parameters) In(IReadOnlyList<SecretName> names)
    {
        var parameters = names.Select((n, i) => ($"@s{i}", (object?)n.Value)).ToArray();
        return (string.Join(", ", parameters.Select(p => p.Item1)), parameters);
    }

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

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
#pragma warning disable CA2100 // The SQL is this class's own text; values always travel as parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            parameter.DbType = value is long ? DbType.Int64 : DbType.String;
            command.Parameters.Add(parameter);
        }

        return command;
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

    private static async Task<IReadOnlyList<T>> QueryAsync<T>(DbConnection connection, string sql, CancellationToken cancellationToken, Func<DbDataReader, T> read, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, null, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
