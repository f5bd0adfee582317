namespace Workers.Contracts.Messages;

/// <summary>One replica as the store knows it.</summary>
/// <param name="Index">The replica's index.</param>
/// <param name="HostId">The host it was placed on.</param>
/// <param name="State">Where it stands.</param>
/// <param name="ContainerId">Its container, once started.</param>
/// <param name="Ports">Its host port bindings (reserved, then as bound).</param>
/// <param name="Reason">Why it failed, if it did.</param>
public sealed record ReplicaStatus(int Index, string HostId, ReplicaState State, string? ContainerId, IReadOnlyList<PortBinding> Ports, string? Reason);
