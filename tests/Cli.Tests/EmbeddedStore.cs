using Workers.Functions.Store;

namespace Workers.Cli.Tests;

/// <summary>
/// A SQLite store of the embedded default in a directory of its own, for the CLI run as a whole process against it
/// with no broker (embedded) and no Docker to be found: a command that needed either would fail with exit 3.
/// </summary>
internal sealed class EmbeddedStore : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("workers-cli-store-").FullName;

    public string Path => System.IO.Path.Combine(_directory, "workers.db");

    /// <summary>The environment the CLI runs in: this store, and a Docker socket that does not exist.</summary>
    public Dictionary<string, string> Environment => new()
    {
        ["WORKERS_STORE"] = Path,
        ["DOCKER_HOST"] = $"unix://{System.IO.Path.Combine(_directory, "no-docker.sock")}",
    };

    /// <summary>The store, migrated, for the test to fill.</summary>
    public async Task<SqlDeploymentStore> OpenAsync()
    {
        var store = new SqlDeploymentStore(StoreSettings.Dialect(Path, Path));
        await store.MigrateAsync(CancellationToken.None);
        return store;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
