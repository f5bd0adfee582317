using System.Text;
using Microsoft.Data.Sqlite;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Store;
using Workers.Security;

namespace Workers.Functions.Tests.Store;

/// <summary>Secrets at rest, on a real SQLite file: encrypted under the key, refused under another or none.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SecretStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly SecretName DbPassword = SecretName.From("db-password");

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("workers-secrets-");
    private readonly string _canary = "canary-" + Guid.NewGuid().ToString("N");
    private readonly List<SecretsKeySource> _sources = [];

    private string Database => Path.Combine(_directory.FullName, "workers.db");

    private string KeyFile => Path.Combine(_directory.FullName, SecretsKeySource.FileName);

    public async Task InitializeAsync() => await new SqlDeploymentStore(new SqliteDialect(Database)).MigrateAsync(CancellationToken.None);

    public Task DisposeAsync()
    {
        foreach (var source in _sources)
        {
            source.Dispose();
        }

        SqliteConnection.ClearAllPools();
        _directory.Delete(recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task SetAsync_AValue_TheStoreFileHoldsOnlyCiphertext()
    {
        var store = Store();

        await store.SetAsync(DbPassword, Encoding.UTF8.GetBytes(_canary), At, CancellationToken.None);
        SqliteConnection.ClearAllPools();

        var bytes = Directory.GetFiles(_directory.FullName, "workers.db*").SelectMany(File.ReadAllBytes).ToArray();
        Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(_canary)));
        Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(Convert.ToBase64String(Encoding.UTF8.GetBytes(_canary))[..16])));
        Assert.Equal(_canary, Encoding.UTF8.GetString((await store.RevealAsync([DbPassword], CancellationToken.None))[DbPassword]));
    }

    [Fact]
    public async Task SetAsync_OnSqliteWithoutTheSetting_MakesAnOwnerOnlyKeyFileBesideTheStore()
    {
        Assert.False(File.Exists(KeyFile));

        await Store().SetAsync(DbPassword, Encoding.UTF8.GetBytes(_canary), At, CancellationToken.None);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyFile));
        Assert.True(SecretsKey.TryParse(File.ReadAllText(KeyFile), out _, out _));
    }

    [Fact]
    public async Task SetAsync_SameNameTwice_CreatesThenUpdatesAndListsNoValue()
    {
        var store = Store();

        Assert.Equal(SecretOutcome.Created, await store.SetAsync(DbPassword, Encoding.UTF8.GetBytes("one"), At, CancellationToken.None));
        Assert.Equal(SecretOutcome.Updated, await store.SetAsync(DbPassword, Encoding.UTF8.GetBytes(_canary), At.AddMinutes(1), CancellationToken.None));

        var listed = Assert.Single(await store.ListAsync(CancellationToken.None));
        Assert.Equal(new SecretSummary("db-password", At, At.AddMinutes(1)), listed);
        Assert.Equal(_canary, Encoding.UTF8.GetString((await store.RevealAsync([DbPassword], CancellationToken.None))[DbPassword]));
    }

    [Fact]
    public async Task DeleteAsync_ExistingThenGone_TrueThenFalse()
    {
        var store = Store();
        await store.SetAsync(DbPassword, Encoding.UTF8.GetBytes(_canary), At, CancellationToken.None);

        Assert.True(await store.DeleteAsync(DbPassword, CancellationToken.None));
        Assert.False(await store.DeleteAsync(DbPassword, CancellationToken.None));
        Assert.Empty(await store.ExistingAsync([DbPassword], CancellationToken.None));
    }

    [Fact]
    public async Task ExistingAsync_SomeStored_NamesOnlyThose()
    {
        var store = Store();
        await store.SetAsync(DbPassword, Encoding.UTF8.GetBytes(_canary), At, CancellationToken.None);

        Assert.Equal([DbPassword], await store.ExistingAsync([DbPassword, SecretName.From("api-token")], CancellationToken.None));
    }

    [Fact]
    public async Task RevealAsync_UnderAnotherKey_IsRefusedAndSoIsTheStart()
    {
        await Store(SecretsKey.GenerateBase64()).SetAsync(DbPassword, Encoding.UTF8.GetBytes(_canary), At, CancellationToken.None);
        var other = Store(SecretsKey.GenerateBase64());

        var reveal = await Assert.ThrowsAsync<SecretsKeyException>(() => other.RevealAsync([DbPassword], CancellationToken.None));
        var start = await Assert.ThrowsAsync<SecretsKeyException>(() => other.CheckKeyAsync(CancellationToken.None));

        Assert.Contains("WORKERS_SECRETS_KEY", reveal.Message, StringComparison.Ordinal);
        Assert.Contains("encrypted with key", start.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_canary, reveal.Message + start.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckKeyAsync_SecretsStoredAndTheKeyFileGone_RefusesInOneLine()
    {
        await Store().SetAsync(DbPassword, Encoding.UTF8.GetBytes(_canary), At, CancellationToken.None);
        File.Delete(KeyFile);

        var refusal = await Assert.ThrowsAsync<SecretsKeyException>(() => Store().CheckKeyAsync(CancellationToken.None));

        Assert.DoesNotContain('\n', refusal.Message);
        Assert.Contains("1 secret(s) are stored but there is no key", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("WORKERS_SECRETS_KEY", refusal.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(KeyFile), "the check must not make a new key that opens nothing");
    }

    [Fact]
    public async Task CheckKeyAsync_NoSecretsAndNoKey_Passes()
    {
        using var postgres = new PostgresDialect("Host=localhost");
        var store = new SqlSecretStore(new SqliteDialect(Database), Source(null, postgres));

        await store.CheckKeyAsync(CancellationToken.None);
    }

    [Fact]
    public async Task CheckKeyAsync_TheRightKey_Passes()
    {
        var key = SecretsKey.GenerateBase64();
        await Store(key).SetAsync(DbPassword, Encoding.UTF8.GetBytes(_canary), At, CancellationToken.None);

        await Store(key).CheckKeyAsync(CancellationToken.None);
    }

    [Fact]
    public async Task SetAsync_PostgresWithoutTheSetting_IsRefusedSayingWhatToSet()
    {
        using var postgres = new PostgresDialect("Host=localhost");
        var store = new SqlSecretStore(new SqliteDialect(Database), Source(null, postgres));

        var refusal = await Assert.ThrowsAsync<SecretsKeyException>(() => store.SetAsync(DbPassword, Encoding.UTF8.GetBytes(_canary), At, CancellationToken.None));

        Assert.StartsWith("WORKERS_SECRETS_KEY is not set", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void From_SettingNotAKey_IsRefusedWithoutEchoingIt()
    {
        var source = Source("bm90LWEta2V5", new SqliteDialect(Database));

        var refusal = Assert.Throws<SecretsKeyException>(source.Existing);

        Assert.Contains("WORKERS_SECRETS_KEY must be base64 of 32 bytes", refusal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("bm90LWEta2V5", refusal.Message, StringComparison.Ordinal);
    }

    private SqlSecretStore Store(string? setting = null)
    {
        var dialect = new SqliteDialect(Database);
        return new SqlSecretStore(dialect, Source(setting, dialect));
    }

    private SecretsKeySource Source(string? setting, SqlDialect dialect)
    {
        var source = SecretsKeySource.From(setting, dialect);
        _sources.Add(source);
        return source;
    }
}
