using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

namespace Workers.Functions.Planning;

/// <summary>A host as the planner sees it: from its last heartbeat, less what the store has already reserved on it.</summary>
/// <param name="Id">The host.</param>
/// <param name="Labels">Its labels.</param>
/// <param name="Live">Whether its heartbeat is fresh.</param>
/// <param name="CpuFreeMillicores">CPU not yet reserved.</param>
/// <param name="MemoryFreeBytes">Memory not yet reserved.</param>
/// <param name="PortsTaken">Host ports something listens on, or that are reserved for a replica.</param>
/// <param name="Replicas">Replicas it runs or will run (of any deployment): among hosts equally good for a spec, the
/// least loaded goes first, so a fleet fills evenly rather than in host-name order.</param>
/// <param name="Allows">What its agent lets a spec ask for (host ports, capabilities), from its heartbeat; null when the
/// agent advertises nothing, and then nothing is checked and dynamic ports come from the default range.</param>
/// <param name="SealingKey">Its agent's sealing key (from the identity in its heartbeat), which the values of a spec's
/// secrets are sealed to; null when the agent sends none, and then it takes no spec that refers to a secret.</param>
public sealed record HostCandidate(
    HostId Id,
    IReadOnlyDictionary<string, string> Labels,
    bool Live,
    long CpuFreeMillicores,
    long MemoryFreeBytes,
    IReadOnlySet<(int Port, Protocol Protocol)> PortsTaken,
    int Replicas = 0,
    HostAllowances? Allows = null,
    string? SealingKey = null);
