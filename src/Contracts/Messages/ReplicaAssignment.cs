namespace Workers.Contracts.Messages;

/// <summary>One replica a host is to run, with the host ports the planner reserved for it.</summary>
/// <param name="Index">The replica's index in its deployment revision, 0-based.</param>
/// <param name="Ports">One binding per port of the spec.</param>
public sealed record ReplicaAssignment(int Index, IReadOnlyList<PortBinding> Ports);
