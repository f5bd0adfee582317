namespace Workers.Functions.Handlers;

/// <summary>
/// Carries out <see cref="Effects"/> on whatever transport hosts the functions: MassTransit self-hosted, Azure Service
/// Bus in the Azure Functions app. Code outside a consumer (the HTTP intake, the timer sweep) dispatches through this.
/// </summary>
public interface IEffectsDispatcher
{
    Task DispatchAsync(Effects effects, CancellationToken cancellationToken);
}
