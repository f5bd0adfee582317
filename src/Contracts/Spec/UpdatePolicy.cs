namespace Workers.Contracts.Spec;

/// <summary>How a running deployment is replaced. Built only by the spec parser, which keeps both numbers from being 0.</summary>
public sealed record UpdatePolicy
{
    internal UpdatePolicy(int maxUnavailable, int maxSurge, bool autoRollback) =>
        (MaxUnavailable, MaxSurge, AutoRollback) = (maxUnavailable, maxSurge, autoRollback);

    /// <summary>The default: start one new replica before stopping an old one, and roll back when the new ones fail.</summary>
    public static UpdatePolicy Default { get; } = new(0, 1, true);

    /// <summary>How many replicas may be missing during an update.</summary>
    public int MaxUnavailable { get; }

    /// <summary>How many replicas may run beyond the desired count during an update.</summary>
    public int MaxSurge { get; }

    /// <summary>Whether a failed update restores the previous revision.</summary>
    public bool AutoRollback { get; }
}
