using Workers.Functions.Store;

namespace Workers.Functions.Tests.Store;

/// <summary>The SQLite store file is its owner's alone: it will hold every spec, and later the sealed secrets.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class StoreSettingsTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly string _directory = Directory.CreateTempSubdirectory("workers-store-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Dialect_NewSqliteFile_IsCreatedReadableByItsOwnerOnlyAndStaysSoOnceMigrated()
    {
        var path = Path.Combine(_directory, "nested", "workers.db");

        var dialect = StoreSettings.Dialect($"sqlite:{path}", Path.Combine(_directory, "unused.db"));
        await new SqlDeploymentStore(dialect).MigrateAsync(CancellationToken.None);

        Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
        Assert.All(Directory.GetFiles(Path.GetDirectoryName(path)!), f => Assert.Equal(OwnerOnly, File.GetUnixFileMode(f)));
    }

    [Fact]
    public void Dialect_ExistingSqliteFileAndJournalOthersCanRead_AreTightenedToTheirOwner()
    {
        var path = Path.Combine(_directory, "workers.db");
        foreach (var file in new[] { path, path + "-wal" })
        {
            File.WriteAllBytes(file, []);
            File.SetUnixFileMode(file, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        StoreSettings.Dialect(path, path);

        Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(path + "-wal"));
    }

    [Fact]
    public void FunctionsHostSqlitePath_IsInADirectoryOfItsOwn_NotBesideTheEmbeddedClisStoreAndSecretsKey()
    {
        var functions = StoreSettings.FunctionsHostSqlitePath();
        var embedded = StoreSettings.DefaultSqlitePath();

        Assert.NotEqual(Path.GetDirectoryName(embedded), Path.GetDirectoryName(functions));
        Assert.StartsWith(Path.GetDirectoryName(embedded) + Path.DirectorySeparatorChar, functions, StringComparison.Ordinal);
    }
}
