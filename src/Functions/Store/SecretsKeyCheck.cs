using Microsoft.Extensions.Hosting;

namespace Workers.Functions.Store;

/// <summary>Refuses to start when secrets are stored and the key to open them is missing or another one (after the schema is up to date).</summary>
internal sealed class SecretsKeyCheck(ISecretStore secrets) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => secrets.CheckKeyAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
