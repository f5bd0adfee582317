using System.Runtime.CompilerServices;
using Npgsql;

namespace Workers.Functions.Store;

/// <summary>
/// Reads <c>WORKERS_STORE</c>: <c>postgres://user:password@host:5432/database</c> (or an Npgsql connection string
/// starting with <c>Host=</c>) for PostgreSQL; anything else is the path of a SQLite file (an optional <c>sqlite:</c>
/// prefix is allowed).
/// </summary>
public static class StoreSettings
{
    public static SqlDialect Dialect(string? setting, string defaultSqlitePath)
    {
        var text = setting?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return Sqlite(defaultSqlitePath);
        }

        if (text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("Host=", StringComparison.OrdinalIgnoreCase))
        {
            return Postgres(text);
        }

        return Sqlite(text.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase) ? text["sqlite:".Length..] : text);
    }

    // Its own method, so that a process on SQLite (every read of the CLI's embedded default) never loads Npgsql.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static PostgresDialect Postgres(string text)
    {
        if (text.StartsWith("Host=", StringComparison.OrdinalIgnoreCase))
        {
            return new PostgresDialect(text);
        }

        var uri = new Uri(text);
        var credentials = uri.UserInfo.Split(':', 2);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = uri.AbsolutePath.Trim('/') is { Length: > 0 } database ? Uri.UnescapeDataString(database) : "workers",
            Username = Uri.UnescapeDataString(credentials[0]),
            Password = credentials.Length > 1 ? Uri.UnescapeDataString(credentials[1]) : null,
        };
        return new PostgresDialect(builder.ConnectionString);
    }

    /// <summary>
    /// The SQLite file, readable by its owner only: created with mode 0600 (SQLite gives its -wal and -shm files the
    /// database file's mode), and an existing one that others could read is tightened to it.
    /// </summary>
    private static SqliteDialect Sqlite(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        if (!OperatingSystem.IsWindows() && path != ":memory:")
        {
            const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            // Looked for first: an exception thrown on every run that finds the file costs a quick read milliseconds.
            if (!File.Exists(path))
            {
                try
                {
                    using var created = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly });
                }
                catch (IOException) when (File.Exists(path))
                {
                    // Another process created it a moment ago: tightened below like any other.
                }
            }

            // There already: tighten it, and the journal files an unclean stop may have left beside it, if others could
            // read them.
            foreach (var file in new[] { path, path + "-wal", path + "-shm", path + "-journal" }.Where(File.Exists))
            {
                if ((File.GetUnixFileMode(file) & ~OwnerOnly) != 0)
                {
                    File.SetUnixFileMode(file, OwnerOnly);
                }
            }
        }

        return new SqliteDialect(path);
    }

    /// <summary>Where the CLI's embedded default keeps its SQLite file: under the user's data directory.</summary>
    public static string DefaultSqlitePath() => Path.Combine(DataDirectory(), "workers.db");

    /// <summary>
    /// Where the functions host keeps its SQLite file when <c>WORKERS_STORE</c> is unset: a directory of its own, so a
    /// functions host and the embedded CLI run by the same user never share a store (nor the <c>secrets.key</c> beside it).
    /// </summary>
    public static string FunctionsHostSqlitePath() => Path.Combine(DataDirectory(), "functions", "workers.db");

    private static string DataDirectory() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "workers");
}
