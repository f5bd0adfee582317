namespace Workers.Contracts.Messages;

/// <summary>One replica as the store knows it.</summary>
/// <param name="Index">The replica's index.</param>
/// <param name="HostId">The host it was placed on.</param>
/// <param name="State">Where it stands.</param>
/// <param name="ContainerId">Its container, once started.</param>
/// <param name="Ports">Its host port bindings (reserved, then as bound).</param>
/// <param name="Reason">Why it failed, was replaced or is unhealthy, if it did or is.</param>
/// <param name="Health">Its health once its container runs: starting, healthy or unhealthy; null before.</param>
/// <param name="Address">Where a user reaches it: the host's bind address and the replica's first host port (<c>127.0.0.1:20001</c>); null before it runs.</param>
public sealed record ReplicaStatus(int Index, string HostId, ReplicaState State, string? ContainerId, IReadOnlyList<PortBinding> Ports, string? Reason, ReplicaHealth? Health = null, string? Address = null);
