using System.Diagnostics.CodeAnalysis;
using Workers.HostAgent.Agent;
using Workers.Transport;
using Workers.Transport.ServiceBus;

namespace Workers.HostAgent.ServiceBus;

/// <summary>
/// What the agent reads at start when <c>WORKERS_BROKER</c> is <c>servicebus://…</c>: the Service Bus settings
/// (<see cref="ServiceBusSettings"/>) and <see cref="AgentOptions"/>, parsed in one step so that every problem is
/// listed at once, as <see cref="AgentSettings"/> does for RabbitMQ.
/// </summary>
public sealed record AgentServiceBusSettings(ServiceBusSettings ServiceBus, AgentOptions Agent)
{
    /// <summary>Reads the settings, or lists every problem with them (no secret in any).</summary>
    public static bool TryRead(Func<string, string?> setting, [NotNullWhen(true)] out AgentServiceBusSettings? settings, out IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(setting);
        var found = new List<string>();
        if (!ServiceBusSettings.TryRead(setting, out var serviceBus, out var serviceBusProblems))
        {
            found.AddRange(serviceBusProblems);
        }

        if (!AgentOptions.TryRead(setting, out var agent, out var agentProblems))
        {
            found.AddRange(agentProblems);
        }
        else if (Queues.Host(agent.HostId.Value).Length > ServiceBusTopology.MaxSubscriptionNameLength)
        {
            found.Add($"WORKERS_HOST_ID '{agent.HostId}': on Service Bus a host id has at most {ServiceBusTopology.MaxSubscriptionNameLength - Queues.Host(string.Empty).Length} characters (its subscription is host.<id>, and a subscription name at most {ServiceBusTopology.MaxSubscriptionNameLength})");
        }

        problems = found;
        settings = found.Count == 0 ? new AgentServiceBusSettings(serviceBus!, agent!) : null;
        return settings is not null;
    }
}
