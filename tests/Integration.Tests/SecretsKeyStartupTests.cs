using System.Diagnostics;
using System.Text;
using Workers.Contracts.Spec;
using Workers.Functions.Store;

namespace Workers.Integration.Tests;

/// <summary>The functions host as a process refuses to start, in one line, when stored secrets have no key or another one.</summary>
public sealed class SecretsKeyStartupTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("workers-it-secrets-key-").FullName;

    private string Store => Path.Combine(_directory, "workers.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task FunctionsHost_SecretsStoredAndTheKeyFileGone_RefusesToStartInOneLine()
    {
        await StoreASecretAsync();
        File.Delete(Path.Combine(_directory, SecretsKeySource.FileName));

        var (exit, output, error) = await RunFunctionsHostAsync(secretsKey: null);

        Assert.Equal(2, exit);
        Assert.Equal(
            $"workers functions: 1 secret(s) are stored but there is no key to open them: set WORKERS_SECRETS_KEY to the key they were set with (base64 of 32 bytes), or put back the key file {Path.Combine(_directory, SecretsKeySource.FileName)}",
            error.Trim());
        Assert.Empty(output.Trim());
    }

    [Fact]
    public async Task FunctionsHost_SecretsStoredUnderAnotherKey_RefusesToStartInOneLine()
    {
        await StoreASecretAsync();

        var (exit, _, error) = await RunFunctionsHostAsync(Security.SecretsKey.GenerateBase64());

        Assert.Equal(2, exit);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches("^workers functions: 1 stored secret\\(s\\) were encrypted with key [0-9a-f]{16}, but WORKERS_SECRETS_KEY is key [0-9a-f]{16}: give the key they were set with$", error.Trim());
    }

    /// <summary>A secret set the way the embedded default sets one: encrypted under the key file made beside the store.</summary>
    private async Task StoreASecretAsync()
    {
        var dialect = new SqliteDialect(Store);
        await new SqlDeploymentStore(dialect).MigrateAsync(CancellationToken.None);
        using var keys = SecretsKeySource.From(null, dialect);
        await new SqlSecretStore(dialect, keys).SetAsync(SecretName.From("db-password"), Encoding.UTF8.GetBytes("s3cret"), DateTimeOffset.UtcNow, CancellationToken.None);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    private async Task<(int Exit, string Output, string Error)> RunFunctionsHostAsync(string? secretsKey)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Builds.Dll("src/Functions.Host", "Workers.Functions.Host.dll"));
        start.Environment["WORKERS_BROKER"] = "memory";
        start.Environment["WORKERS_STORE"] = Store;
        start.Environment["WORKERS_SIGNING_KEY"] = Path.Combine(_directory, "control.key");
        start.Environment["WORKERS_SEALING_KEY"] = Path.Combine(_directory, "control-sealing.key");
        start.Environment.Remove("WORKERS_HTTP_URLS");
        if (secretsKey is null)
        {
            start.Environment.Remove(SecretsKeySource.Setting);
        }
        else
        {
            start.Environment[SecretsKeySource.Setting] = secretsKey;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var kill = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(kill.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the functions host was still running after 60 s: it started despite the secrets it cannot open");
        }

        return (process.ExitCode, await output, await error);
    }
}
