using Microsoft.Extensions.DependencyInjection.Extensions;
using Workers.HostAgent.Runtime;

namespace Workers.HostAgent.Agent;

/// <summary>Registers the agent: Docker runtime, handler, heartbeats, health checks and the guard that stops replicas cut off from the broker.</summary>
public static class AgentRegistration
{
    /// <summary>How many deployments' commands an agent carries out at once, whichever transport brings them.</summary>
    public const int CommandPartitions = 8;

    /// <remarks>
    /// Call after the transport's registration (AddWorkersBus with <c>AddWorkersAgentConsumers</c>, or the Service Bus
    /// one): hosted services start in order, and the first heartbeat needs a started bus. The transport registers the
    /// <see cref="IAgentPublisher"/>.
    /// </remarks>
    public static IServiceCollection AddWorkersAgent(this IServiceCollection services, AgentOptions options)
    {
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IContainerRuntime, DockerContainerRuntime>();
        services.TryAddSingleton(_ => new ListeningPorts());
        services.AddScoped<ReplicaCommandHandler>();
        services.AddScoped<ContainerLogsHandler>();
        services.AddSingleton<DisconnectGuard>();
        services.AddHostedService(sp => sp.GetRequiredService<DisconnectGuard>());
        services.AddSingleton<HeartbeatService>();
        services.AddHostedService(sp => sp.GetRequiredService<HeartbeatService>());
        services.AddSingleton<HealthProbes>();
        services.AddSingleton<HealthMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<HealthMonitor>());
        services.AddHostedService<ContainerEventsService>();
        return services;
    }
}
