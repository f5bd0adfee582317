using System.Diagnostics.CodeAnalysis;
using Workers.Transport;

namespace Workers.HostAgent.Agent;

/// <summary>
/// Everything the agent's executable reads at start, parsed in one step so that every problem is listed at once: the
/// broker (<c>WORKERS_BROKER</c>) and <see cref="AgentOptions"/>. A parse step rather than options validated when the
/// host starts, because the agent's queue (<c>host.&lt;WORKERS_HOST_ID&gt;</c>) is part of the bus registration.
/// </summary>
public sealed record AgentSettings(Broker Broker, AgentOptions Agent)
{
    /// <summary>The name the agent's messages go by.</summary>
    public const string Program = "workers-agent";

    /// <summary>Reads the settings, or lists every problem with them (no secret in any).</summary>
    public static bool TryRead(Func<string, string?> setting, [NotNullWhen(true)] out AgentSettings? settings, out IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(setting);
        var found = new List<string>();
        if (!Broker.TryParse(setting("WORKERS_BROKER"), out var broker, out var brokerError))
        {
            found.Add($"WORKERS_BROKER: {brokerError}");
        }
        else if (broker.IsInMemory)
        {
            // The in-memory bus lives inside one process; an agent is a process of its own and would hear nobody.
            found.Add(string.IsNullOrWhiteSpace(setting("WORKERS_BROKER"))
                ? "WORKERS_BROKER is not set: the agent needs the broker the functions use (rabbitmq://… or servicebus://…)"
                : "WORKERS_BROKER: the in-memory bus is one process's own; the agent needs the broker the functions use (rabbitmq://… or servicebus://…)");
        }

        if (!AgentOptions.TryRead(setting, out var agent, out var agentProblems))
        {
            found.AddRange(agentProblems);
        }

        problems = found;
        settings = found.Count == 0 ? new AgentSettings(broker!, agent!) : null;
        return settings is not null;
    }
}
