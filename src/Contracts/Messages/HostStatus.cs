namespace Workers.Contracts.Messages;

/// <summary>A host as its last heartbeat described it.</summary>
/// <param name="HostId">The host.</param>
/// <param name="Labels">Its labels.</param>
/// <param name="BindAddress">The address its published ports bind to.</param>
/// <param name="CpuCapacityMillicores">All its CPU.</param>
/// <param name="MemoryCapacityBytes">All its memory.</param>
/// <param name="CpuFreeMillicores">CPU not reserved.</param>
/// <param name="MemoryFreeBytes">Memory not reserved.</param>
/// <param name="Replicas">How many replicas it runs.</param>
/// <param name="LastSeen">When its last heartbeat was taken.</param>
/// <param name="Live">Whether that heartbeat is recent enough for the planner to use the host.</param>
public sealed record HostStatus(string HostId, IReadOnlyDictionary<string, string> Labels, string BindAddress, long CpuCapacityMillicores, long MemoryCapacityBytes, long CpuFreeMillicores, long MemoryFreeBytes, int Replicas, DateTimeOffset LastSeen, bool Live)
{
    /// <summary>The build of the host's agent, as its last heartbeat said; null when that agent predates the field.</summary>
    public string? AgentVersion { get; init; }
}
