using Workers.Contracts.Messages;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>Inventory: keeps each host's newest heartbeat.</summary>
public sealed class InventoryHandler(IDeploymentStore store, TimeProvider time)
{
    public Task HandleAsync(HostHeartbeat heartbeat, CancellationToken cancellationToken) =>
        store.UpsertHostAsync(heartbeat, time.GetUtcNow(), cancellationToken);
}
