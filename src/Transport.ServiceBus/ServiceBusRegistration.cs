using Azure.Identity;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Workers.Transport.ServiceBus;

/// <summary>
/// Registers the Service Bus transport both sides share: the client, the pump and subscription workers. The functions'
/// registrations (<c>AddWorkersServiceBus</c>, <c>AddWorkersServiceBusFunctions</c>) are in src/Functions.ServiceBus.
/// </summary>
public static class ServiceBusRegistration
{
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
