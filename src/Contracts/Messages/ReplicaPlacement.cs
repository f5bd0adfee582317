namespace Workers.Contracts.Messages;

/// <summary>Where one replica would run.</summary>
/// <param name="Index">The replica's index.</param>
/// <param name="HostId">The host.</param>
/// <param name="Ports">The host ports it would bind.</param>
public sealed record ReplicaPlacement(int Index, string HostId, IReadOnlyList<PortBinding> Ports);
