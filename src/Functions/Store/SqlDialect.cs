using System.Data.Common;

namespace Workers.Functions.Store;

/// <summary>What differs between the SQL databases the store runs on; the schema and queries are shared.</summary>
public abstract class SqlDialect
{
    /// <summary>A short name for logs.</summary>
    public abstract string Name { get; }

    /// <summary>A new, unopened connection.</summary>
    public abstract DbConnection CreateConnection();

    /// <summary>True when the exception is a unique-constraint violation.</summary>
    public abstract bool IsUniqueViolation(DbException exception);

    /// <summary>A statement that serialises migrations across processes inside a transaction, if the database needs one.</summary>
    public virtual string? MigrationLock => null;

    /// <summary>Statements run on every new connection.</summary>
    public virtual string? OnOpen => null;

    /// <summary>The column type of an integer key the database numbers itself, increasing.</summary>
    public abstract string SerialKey { get; }

    /// <summary>
    /// Triggers that record the event history as the rows change: a replica placed, its state or health changed; a
    /// revision accepted or rejected, its state changed; a deployment forgotten; a host first heard.
    /// </summary>
    public abstract IReadOnlyList<string> EventTriggers { get; }

    /// <summary>
    /// Gathers planner statistics for the store's tables that changed much since they were last gathered, if the
    /// database keeps any that go stale; the tables it gathered them for. Nothing by default.
    /// </summary>
    public virtual Task<IReadOnlyList<string>> RefreshStatisticsAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([]);
}
