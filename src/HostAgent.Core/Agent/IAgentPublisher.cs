namespace Workers.HostAgent.Agent;

/// <summary>
/// How the agent puts its own messages (heartbeats, replica results, health changes) on the broker: the one thing the
/// heartbeats, the health monitor and the disconnect guard need of a transport. Resolved from a scope, so that an
/// implementation may be scoped (MassTransit's publish endpoint is).
/// </summary>
public interface IAgentPublisher
{
    /// <summary>Publishes <paramref name="message"/> as its own contract type; throws when the broker did not take it.</summary>
    Task PublishAsync(object message, CancellationToken cancellationToken);
}
