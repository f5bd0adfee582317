namespace Workers.Contracts.Spec;

/// <summary>
/// How a running deployment is replaced, in waves. Built only by the spec parser, which keeps both counts from being 0
/// and the progress deadline longer than the time a replica must stay ready.
/// </summary>
public sealed record UpdatePolicy
{
    internal UpdatePolicy(int maxUnavailable, int maxSurge, bool autoRollback, Duration minReady, Duration progressDeadline) =>
        (MaxUnavailable, MaxSurge, AutoRollback, MinReady, ProgressDeadline) = (maxUnavailable, maxSurge, autoRollback, minReady, progressDeadline);

    /// <summary>The default time a replica must stay healthy before it counts as available.</summary>
    public static Duration DefaultMinReady { get; } = Duration.From(TimeSpan.FromSeconds(5));

    /// <summary>The default time a rollout may go without progress before it fails.</summary>
    public static Duration DefaultProgressDeadline { get; } = Duration.From(TimeSpan.FromMinutes(5));

    /// <summary>
    /// The default: start one new replica before stopping an old one, count a replica available after 5 s healthy,
    /// give up after 5 minutes without progress, and roll back when the new ones fail.
    /// </summary>
    public static UpdatePolicy Default { get; } = new(0, 1, true, DefaultMinReady, DefaultProgressDeadline);

    /// <summary>How many of the desired replicas may be unavailable during an update.</summary>
    public int MaxUnavailable { get; }

    /// <summary>How many replicas may exist beyond the desired count during an update.</summary>
    public int MaxSurge { get; }

    /// <summary>Whether a failed update restores the last revision that ran healthy.</summary>
    public bool AutoRollback { get; }

    /// <summary>
    /// How long a replica's health check must keep passing (without a check: how long its container must keep running)
    /// before the replica counts as healthy and available; 0 counts it at its first passing check.
    /// </summary>
    public Duration MinReady { get; }

    /// <summary>How long a rollout may go without a new replica becoming healthy before it fails (and rolls back).</summary>
    public Duration ProgressDeadline { get; }
}
