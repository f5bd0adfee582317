using Workers.Contracts.Messages;

namespace Workers.Functions.Planning;

/// <summary>Where every replica goes, or why they cannot all be placed (then none is).</summary>
/// <param name="Placements">One per replica, when the plan succeeded.</param>
/// <param name="Reason">Why not, naming the constraint and each host considered; null on success.</param>
public sealed record PlacementResult(IReadOnlyList<ReplicaPlacement> Placements, string? Reason)
{
    /// <summary>True when every replica has a host.</summary>
    public bool Succeeded => Reason is null;
}
