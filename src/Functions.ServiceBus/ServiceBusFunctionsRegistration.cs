using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Workers.Functions;
using Workers.Functions.Handlers;

namespace Workers.Transport.ServiceBus;

/// <summary>Registers the functions on the Service Bus transport (its shared part is <see cref="ServiceBusRegistration"/>).</summary>
public static class ServiceBusFunctionsRegistration
{
    /// <summary>
    /// The client, the <see cref="IEffectsDispatcher"/> on the flow topic and the pump, from the settings described on
    /// <see cref="ServiceBusSettings"/>. Fails here, at start-up, with every problem when the settings are wrong.
    /// </summary>
    /// <exception cref="InvalidOperationException">The settings are missing or invalid.</exception>
    public static IServiceCollection AddWorkersServiceBus(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return ServiceBusSettings.TryRead(key => configuration[key], out var settings, out var problems)
            ? services.AddWorkersServiceBus(settings)
            : throw new InvalidOperationException("Service Bus settings: " + string.Join("; ", problems));
    }

    public static IServiceCollection AddWorkersServiceBus(this IServiceCollection services, ServiceBusSettings settings)
    {
        services.AddWorkersServiceBusClient(settings);
        services.AddWorkersSigningKey();
        services.TryAddSingleton<ServiceBusEffectsDispatcher>();
        services.RemoveAll<IEffectsDispatcher>();
        services.AddSingleton<IEffectsDispatcher>(sp => sp.GetRequiredService<ServiceBusEffectsDispatcher>());
        return services;
    }

    /// <summary>
    /// Consumes the function subscriptions in this process with the pure handlers (which <c>AddWorkersHandlers</c>
    /// registers): the self-hosted way to run the functions on Service Bus.
    /// </summary>
    public static IServiceCollection AddWorkersServiceBusFunctions(this IServiceCollection services, int maxConcurrentCalls = 8)
    {
        services.TryAddSingleton<FunctionsMessageRouter>();
        foreach (var subscription in ServiceBusTopology.FunctionSubscriptions.Keys)
        {
            services.AddWorkersServiceBusSubscription(subscription, sp => sp.GetRequiredService<FunctionsMessageRouter>().HandleAsync, maxConcurrentCalls);
        }

        return services;
    }

    /// <summary>
    /// The self-hosted functions host (src/Functions.Host) on Service Bus: the client and dispatcher, every function
    /// subscription consumed in this process, and the periodic sweep as a hosted service (the Azure Functions app runs
    /// the sweep as a timer function instead).
    /// </summary>
    public static IServiceCollection AddWorkersServiceBusFunctionsHost(this IServiceCollection services, ServiceBusSettings settings) =>
        services.AddWorkersServiceBus(settings).AddWorkersServiceBusFunctions().AddWorkersSweepService();
}
