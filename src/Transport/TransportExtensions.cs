using System.Security.Authentication;
using MassTransit;
using MassTransit.Transports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Workers.Contracts.Messages;

namespace Workers.Transport;

/// <summary>Chooses the transport and applies the policies every Workers endpoint shares.</summary>
public static class TransportExtensions
{
    /// <summary>The category prefix of MassTransit's own logging.</summary>
    public const string LibraryCategory = "MassTransit";

    /// <summary>
    /// RabbitMQ (durable quorum queues, persistent messages, publisher confirms) or the in-memory transport; then the
    /// caller's endpoints.
    /// </summary>
    public static void UsingWorkersTransport(this IBusRegistrationConfigurator bus, Broker broker, Action<IBusRegistrationContext, IBusFactoryConfigurator<IReceiveEndpointConfigurator>> configure)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(broker);
        if (broker.IsInMemory)
        {
            bus.UsingInMemory((context, cfg) => configure(context, cfg));
            return;
        }

        bus.UsingRabbitMq((context, cfg) =>
        {
            cfg.Host(broker.Host, broker.Port, broker.VirtualHost, host =>
            {
                host.Username(broker.Username);
                host.Password(broker.Password);
                host.PublisherConfirmation = true;
                if (broker.IsCluster)
                {
                    // Connect to whichever node answers first, and after a node is lost reconnect to a survivor.
                    host.UseCluster(cluster =>
                    {
                        foreach (var node in broker.Nodes)
                        {
                            cluster.Node(node.ToString());
                        }
                    });
                }

                if (broker.Tls)
                {
                    host.UseSsl(ssl =>
                    {
                        ssl.ServerName = broker.Host;
                        ssl.Protocol = SslProtocols.Tls12 | SslProtocols.Tls13;
                        ssl.CertificateValidationCallback = broker.ValidateServerCertificate;
                    });
                }
            });
            cfg.Durable = true;
            // The contracts' interfaces say what a message is (signed, an agent's), not where it goes: no exchange is
            // made for them, so a publisher needs rights to its message types' exchanges only (infra/rabbitmq).
            cfg.Publish<ISignedMessage>(p => p.Exclude = true);
            cfg.Publish<IAgentMessage>(p => p.Exclude = true);
            configure(context, cfg);
        });
    }

    /// <summary>Quorum queues on RabbitMQ, and a bounded retry with back-off before a message goes to the error queue.</summary>
    public static void ApplyWorkersEndpointPolicy(this IReceiveEndpointConfigurator endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.SetQuorumQueue();
        }

        endpoint.UseMessageRetry(retry => retry.Exponential(5, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200)));
    }

    /// <summary>
    /// For a process that runs until stopped (an agent, the functions host): its start waits for the broker however
    /// long the broker takes to answer, retrying, instead of giving up after a minute and exiting, as Nomad's clients
    /// keep retrying their servers. An agent restarted while every broker node was down (a whole cluster restarting
    /// under load) otherwise exited for good, with nothing to start it again. Call after <see cref="AddWorkersBus"/>.
    /// </summary>
    public static IServiceCollection WaitForTheBroker(this IServiceCollection services) =>
        services.PostConfigure<MassTransitHostOptions>(options => options.StartTimeout = null);

    /// <summary>
    /// For a process that runs until stopped: when the broker keeps refusing its publishes, restart the bus for new
    /// connections and channels (<see cref="BusReconnector"/>). Call after <see cref="AddWorkersBus"/>.
    /// </summary>
    public static IServiceCollection ReconnectWhenPublishesAreRefused(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<RefusedPublishes>();
        services.AddSendObserver(provider => provider.GetRequiredService<RefusedPublishes>());
        services.AddPublishObserver(provider => provider.GetRequiredService<RefusedPublishes>());
        services.AddReceiveObserver(provider => provider.GetRequiredService<RefusedPublishes>());
        services.AddSingleton<BusReconnector>();
        return services.AddHostedService(provider => provider.GetRequiredService<BusReconnector>());
    }

    /// <summary>
    /// For a process that runs until stopped: one line when it loses the broker and one when the connection is back
    /// (<see cref="BrokerConnectionWatch"/>), and MassTransit's own logging, which writes a warning with a stack trace
    /// on every reconnect attempt, kept to its errors unless the configuration names a level for it
    /// (<c>Logging__LogLevel__MassTransit=Warning</c>). Call after <see cref="AddWorkersBus"/>.
    /// </summary>
    public static IHostApplicationBuilder ReportTheBrokerConnection(this IHostApplicationBuilder builder, Broker broker)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(broker);
        if (builder.Configuration[$"Logging:LogLevel:{LibraryCategory}"] is null)
        {
            builder.Logging.AddFilter(LibraryCategory, LogLevel.Error);
        }

        builder.Services.TryAddSingleton(TimeProvider.System);
        // First among the hosted services: MassTransit's start waits for the broker however long it takes, and a
        // process that cannot reach it must say so meanwhile.
        builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService>(provider => new BrokerConnectionWatch(
            provider.GetRequiredService<IBusControl>(),
            broker,
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<IHostApplicationLifetime>(),
            provider.GetRequiredService<ILogger<BrokerConnectionWatch>>())));
        return builder;
    }

    /// <summary>Send endpoints a Workers process keeps (one per host it sends to), far beyond any fleet it plans for.</summary>
    public const int MaxCachedSendEndpoints = 100_000;

    /// <summary>
    /// MassTransit plus the start behaviour every Workers process needs: the host does not report started until every
    /// receive endpoint and its bindings exist, so nothing it publishes at start is lost to an unbound exchange.
    /// </summary>
    public static IServiceCollection AddWorkersBus(this IServiceCollection services, Broker broker, Action<IBusRegistrationConfigurator> register, Action<IBusRegistrationContext, IBusFactoryConfigurator<IReceiveEndpointConfigurator>> configure)
    {
        ArgumentNullException.ThrowIfNull(register);
        // The functions send each host's commands to its own queue, one send endpoint per host. MassTransit caches
        // 1,000 of them by default and, past that, disposes endpoints still in use, cancelling their sends: with 1,000
        // simulated hosts the throughput bench saw a plan's StartReplicas sends cancelled and the plan retried at the
        // start of every round. A fleet's worth of endpoints is a few kilobytes each.
        SendEndpointCacheDefaults.Capacity = Math.Max(SendEndpointCacheDefaults.Capacity, MaxCachedSendEndpoints);
        services.AddOptions<MassTransitHostOptions>().Configure(options =>
        {
            options.WaitUntilStarted = true;
            options.StartTimeout = TimeSpan.FromSeconds(60);
            options.StopTimeout = TimeSpan.FromSeconds(30);
        });
        return services.AddMassTransit(bus =>
        {
            // MassTransit 8.5 reports usage to its vendor by default; a deployment system phones nobody.
            bus.DisableUsageTelemetry();
            register(bus);
            bus.UsingWorkersTransport(broker, configure);
        });
    }
}
