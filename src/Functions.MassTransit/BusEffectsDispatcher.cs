using MassTransit;
using Workers.Functions.Handlers;
using Workers.Security;

namespace Workers.Functions.Bus;

/// <summary>Dispatches effects from outside a consumer through the MassTransit bus.</summary>
public sealed class BusEffectsDispatcher(IBus bus, SigningKey key) : IEffectsDispatcher
{
    public Task DispatchAsync(Effects effects, CancellationToken cancellationToken) =>
        EffectsExtensions.ApplyAsync(bus, bus, bus.Address, key, effects, cancellationToken);
}
