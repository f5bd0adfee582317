using Workers.Contracts.Messages;

namespace Workers.Transport.ServiceBus;

/// <summary>
/// The Service Bus layout every piece agrees on (and <c>infra/azure/main.bicep</c> declares): one topic for the whole
/// flow, a subscription per function filtered on <see cref="MessageTypeProperty"/>, and a subscription per host
/// filtered on <see cref="HostIdProperty"/>.
/// </summary>
public static class ServiceBusTopology
{
    /// <summary>The topic every message goes to unless <c>WORKERS_SERVICEBUS_TOPIC</c> says otherwise.</summary>
    public const string DefaultTopic = "workers";

    /// <summary>Application property holding the contract's full type name; the function subscriptions filter on it.</summary>
    public const string MessageTypeProperty = "messageType";

    /// <summary>Application property set on host commands only; each host's subscription filters on it.</summary>
    public const string HostIdProperty = "hostId";

    /// <summary>
    /// The session-enabled queue the CLI asks its replies on, each CLI in a session of its own
    /// (<c>WORKERS_SERVICEBUS_REPLY_QUEUE</c> names another).
    /// </summary>
    public const string DefaultReplyQueue = "workers-replies";

    /// <summary>Application property on a reply: the <c>MessageId</c> of the request it answers.</summary>
    public const string InReplyToProperty = "inReplyTo";

    /// <summary>Application property an abandoned message carries: the type of the last failure, for whoever looks at it.</summary>
    public const string LastErrorProperty = "lastError";

    public const string ContentType = "application/json";

    /// <summary>Service Bus limits subscription names to 50 characters.</summary>
    public const int MaxSubscriptionNameLength = 50;

    /// <summary>The function subscriptions (named after the RabbitMQ queues without their <c>workers.</c> prefix) and the messages each receives.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<Type>> FunctionSubscriptions { get; } = new Dictionary<string, IReadOnlyList<Type>>
    {
        ["validate"] = [typeof(DeploymentRequested)],
        ["plan"] = [typeof(DeploymentAccepted)],
        ["track"] = [typeof(ReplicaStarted), typeof(ReplicaFailed), typeof(ReplicaStopped), typeof(ReplicaHealthChanged)],
        ["inventory"] = [typeof(HostHeartbeat)],
        ["delete"] = [typeof(DeleteDeployment)],
        ["query"] = [typeof(GetDeploymentStatus), typeof(GetHosts), typeof(GetEvents), typeof(GetReplicaLogs), typeof(PlanDeployment), typeof(GetDeploymentHistory), typeof(GetSealingKey), typeof(SetSecret), typeof(DeleteSecret), typeof(ListSecrets), typeof(ForgetHost)],
    };

    /// <summary>The SQL filter of a function subscription, as the Bicep file writes it.</summary>
    public static string SqlFilter(string subscription) =>
        $"{MessageTypeProperty} IN ({string.Join(", ", FunctionSubscriptions[subscription].Select(t => $"'{t.FullName}'"))})";

    /// <summary>A host agent's subscription, <c>host.&lt;id&gt;</c> like its RabbitMQ queue.</summary>
    /// <exception cref="ArgumentException">The name would pass Service Bus's 50-character limit.</exception>
    public static string HostSubscription(string hostId)
    {
        var name = Queues.Host(hostId);
        return name.Length <= MaxSubscriptionNameLength
            ? name
            : throw new ArgumentException($"host id '{hostId}' is too long for a Service Bus subscription name ({MaxSubscriptionNameLength} characters at most, with the 'host.' prefix)", nameof(hostId));
    }
}
