using Microsoft.Extensions.Hosting;

namespace Workers.Functions.Store;

/// <summary>Brings the schema up to date before anything consumes a message.</summary>
internal sealed class StoreMigrationService(IDeploymentStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.MigrateAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
