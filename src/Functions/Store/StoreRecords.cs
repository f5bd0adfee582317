using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

namespace Workers.Functions.Store;

/// <summary>A host's last heartbeat as stored.</summary>
public sealed record HostRecord(HostHeartbeat Heartbeat, DateTimeOffset ReceivedAt);

/// <summary>One request (a deployment revision, or a rejected request) as stored.</summary>
public sealed record RevisionRecord(
    Guid DeploymentId,
    string? Name,
    long Revision,
    DeploymentState State,
    DeploymentSpec? Spec,
    string? Reason,
    IReadOnlyList<SpecProblem> Problems,
    string RequestedBy,
    DateTimeOffset UpdatedAt);

/// <summary>One replica as stored.</summary>
public sealed record ReplicaRecord(
    Guid DeploymentId,
    string Name,
    long Revision,
    int Index,
    string HostId,
    ReplicaState State,
    string? ContainerId,
    IReadOnlyList<PortBinding> Ports,
    string? Reason,
    DateTimeOffset UpdatedAt,
    ReplicaHealth? Health = null,
    DateTimeOffset? HealthAt = null)
{
    /// <summary>Pending or running: wanted, and on its way or there.</summary>
    public bool Alive => State is ReplicaState.Pending or ReplicaState.Running;

    /// <summary>Running and judged healthy by its agent: it counts as available.</summary>
    public bool Serving => State == ReplicaState.Running && Health is ReplicaHealth.Healthy;
}

/// <summary>An event waiting in the outbox: one of the deployment outcome events, by its contract's short name.</summary>
public sealed record OutboxMessage(Guid MessageId, object Message, DateTimeOffset CreatedAt)
{
    /// <summary>The outcome events the outbox carries; nothing else is ever read back from it.</summary>
    public static readonly IReadOnlyDictionary<string, Type> Types = new[] { typeof(DeploymentSucceeded), typeof(DeploymentFailed), typeof(DeploymentRolledBack) }
        .ToDictionary(t => t.Name, StringComparer.Ordinal);

    /// <summary>An outcome event for the outbox, with its own message id.</summary>
    public static OutboxMessage Of(DeploymentSucceeded message) => new(message.MessageId, message, message.Timestamp);

    /// <inheritdoc cref="Of(DeploymentSucceeded)"/>
    public static OutboxMessage Of(DeploymentFailed message) => new(message.MessageId, message, message.Timestamp);

    /// <inheritdoc cref="Of(DeploymentSucceeded)"/>
    public static OutboxMessage Of(DeploymentRolledBack message) => new(message.MessageId, message, message.Timestamp);
}

/// <summary>
/// A host port held for a replica; the store's unique key (host, port, protocol) keeps two replicas off one port.
/// <paramref name="HeldUntil"/> is null while the replica is pending, running or stopping; once it ended before its
/// start command expired, the port stays held until that expiry, since the start may still be carried out.
/// </summary>
public sealed record PortReservation(string HostId, int HostPort, Protocol Protocol, Guid DeploymentId, string Name, int Index, DateTimeOffset? HeldUntil = null);

/// <summary>What one active replica reserves on its host.</summary>
public sealed record ReplicaLimits(string HostId, string Name, long Revision, int Index, long CpuMillicores, long MemoryBytes);

/// <summary>
/// When a request was made (<see cref="DeploymentAccepted.RequestedAt"/>, the sender's clock) and accepted (the
/// functions' clock): what decides whether another request for the same name overtook it while it was in flight.
/// </summary>
public readonly record struct RequestTimes(DateTimeOffset RequestedAt, DateTimeOffset AcceptedAt);

/// <summary>Which revisions of a name to read: in one of <paramref name="States"/> (any when null), numbered below <paramref name="Below"/>, at most <paramref name="Limit"/>.</summary>
public sealed record RevisionFilter(IReadOnlyCollection<DeploymentState>? States = null, long? Below = null, int? Limit = null);

/// <summary>Which events to read: of one deployment (or all), after a sequence, since a moment, at most so many (the newest).</summary>
public sealed record EventQuery(string? Name = null, long? After = null, DateTimeOffset? Since = null, int Limit = 100);
