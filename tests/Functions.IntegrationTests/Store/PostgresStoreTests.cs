using Workers.Functions.Store;

namespace Workers.Functions.Tests.Store;

/// <summary>The store contract on PostgreSQL in a container shared by the collection.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreTests(PostgresFixture postgres) : StoreTests
{
    protected override string SharedDatabase => postgres.ConnectionString;

    protected override Task<string> CreateDatabaseAsync() => postgres.CreateDatabaseAsync();

    protected override SqlDialect CreateDialect(string database) => new PostgresDialect(database);
}
