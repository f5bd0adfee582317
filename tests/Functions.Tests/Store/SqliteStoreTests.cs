using Microsoft.Data.Sqlite;
using Workers.Functions.Store;

namespace Workers.Functions.Tests.Store;

/// <summary>The store contract on a real SQLite file in a temporary directory.</summary>
public sealed class SqliteStoreTests : StoreTests
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("workers-store-");

    protected override string SharedDatabase => Path.Combine(_directory.FullName, "shared.db");

    protected override Task<string> CreateDatabaseAsync() =>
        Task.FromResult(Path.Combine(_directory.FullName, Guid.NewGuid().ToString("N") + ".db"));

    protected override SqlDialect CreateDialect(string database) => new SqliteDialect(database);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _directory.Delete(recursive: true);
    }
}
