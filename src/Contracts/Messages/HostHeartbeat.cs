namespace Workers.Contracts.Messages;

/// <summary>An agent's periodic report: what the host offers, what it runs, which ports are taken.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The agent's session id (new at every agent start); heartbeats belong to no deployment.</param>
/// <param name="Timestamp">When the agent took the readings.</param>
/// <param name="HostId">The host.</param>
/// <param name="Labels">The host's labels, matched by <c>placement.labels</c>.</param>
/// <param name="BindAddress">The address published ports bind to.</param>
/// <param name="CpuCapacityMillicores">All the host's CPU.</param>
/// <param name="MemoryCapacityBytes">All the host's memory.</param>
/// <param name="CpuFreeMillicores">CPU not reserved by the limits of the replicas it runs.</param>
/// <param name="MemoryFreeBytes">Memory not reserved by the limits of the replicas it runs.</param>
/// <param name="Replicas">The replicas it runs.</param>
/// <param name="PortsInUse">Host ports that something listens on at the bind address or on all addresses.</param>
/// <param name="Allows">What the agent lets a spec ask of this host; null from an agent that restricts nothing (one
/// that predates the restrictions), and then the planner checks nothing either.</param>
/// <param name="Identity">The agent's public keys: pinned for <paramref name="HostId"/> by the first heartbeat the functions accept (or provisioned), and every later message of that host must be signed with the pinned key.</param>
/// <param name="Signature">The sender's signature (see <see cref="ISignedMessage"/>).</param>
public sealed record HostHeartbeat(
    Guid MessageId,
    Guid CorrelationId,
    DateTimeOffset Timestamp,
    string HostId,
    IReadOnlyDictionary<string, string> Labels,
    string BindAddress,
    long CpuCapacityMillicores,
    long MemoryCapacityBytes,
    long CpuFreeMillicores,
    long MemoryFreeBytes,
    IReadOnlyList<RunningReplica> Replicas,
    IReadOnlyList<HostPort> PortsInUse,
    HostAllowances? Allows = null,
    AgentIdentity? Identity = null,
    MessageSignature? Signature = null) : IAgentMessage
{
    /// <summary>The agent's build (<c>workers version</c> lists each host's); null from an agent that predates it.</summary>
    public string? AgentVersion { get; init; }

    /// <inheritdoc/>
    public ISignedMessage WithSignature(MessageSignature? signature) => this with { Signature = signature };
}
