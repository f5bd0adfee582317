using Azure.Identity;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Workers.Functions;
using Workers.Functions.Handlers;

namespace Workers.Transport.ServiceBus;

/// <summary>Registers the Service Bus transport.</summary>
public static class ServiceBusRegistration
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
    /// The settings, the client and the pump, and nothing of the functions': what a process that only consumes its own
    /// subscription and publishes to the topic (a host agent) needs. It holds no signing key of the control plane.
    /// </summary>
    public static IServiceCollection AddWorkersServiceBusClient(this IServiceCollection services, ServiceBusSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        services.TryAddSingleton(settings);
        services.TryAddSingleton(_ => CreateClient(settings));
        services.TryAddSingleton<ServiceBusPump>();
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

    /// <summary>Consumes one subscription of the flow topic with <paramref name="handler"/> (a host agent's: <c>host.&lt;id&gt;</c>, one at a time).</summary>
    public static IServiceCollection AddWorkersServiceBusSubscription(this IServiceCollection services, string subscription, Func<IServiceProvider, MessageHandler> handler, int maxConcurrentCalls = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(subscription);
        ArgumentNullException.ThrowIfNull(handler);
        // A factory registration, not AddHostedService: that one would keep a single worker of this type.
        return services.AddSingleton<IHostedService>(sp => new ServiceBusSubscriptionWorker(
            sp.GetRequiredService<ServiceBusClient>(),
            sp.GetRequiredService<ServiceBusSettings>(),
            sp.GetRequiredService<ServiceBusPump>(),
            subscription,
            handler(sp),
            maxConcurrentCalls,
            sp.GetRequiredService<ILogger<ServiceBusSubscriptionWorker>>()));
    }

    /// <summary>The client for <paramref name="settings"/>: its connection string, or <c>DefaultAzureCredential</c>; AMQP over TCP.</summary>
    public static ServiceBusClient CreateClient(ServiceBusSettings settings)
    {
        var options = new ServiceBusClientOptions { TransportType = ServiceBusTransportType.AmqpTcp };
        return settings.ConnectionString is { } connection
            ? new ServiceBusClient(connection, options)
            : new ServiceBusClient(settings.FullyQualifiedNamespace, new DefaultAzureCredential(), options);
    }
}
