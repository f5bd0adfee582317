using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Workers.Functions.Store;

/// <summary>Brings the schema up to date before anything consumes a message, once the store answers (<see cref="StoreStartup"/>).</summary>
internal sealed class StoreMigrationService(IDeploymentStore store, ILogger<StoreMigrationService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => StoreStartup.MigrateWhenReachableAsync(store, logger, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
