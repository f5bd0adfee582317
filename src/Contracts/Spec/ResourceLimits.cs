namespace Workers.Contracts.Spec;

/// <summary>
/// What one replica may use. A CPU or memory limit left out is not reserved by the planner; the agent then applies
/// its own default limit. A pids limit left out is the agent's default (512).
/// </summary>
/// <param name="Cpu">The CPU limit, if any.</param>
/// <param name="Memory">The memory limit, if any.</param>
public sealed record ResourceLimits(CpuQuantity? Cpu, MemoryQuantity? Memory)
{
    /// <summary>The highest pids limit: the kernel's own ceiling on process ids (PID_MAX_LIMIT on 64-bit Linux).</summary>
    public const int MaxPids = 4_194_304;

    private readonly int? _pids;

    /// <summary>No limits.</summary>
    public static ResourceLimits None { get; } = new(null, null);

    /// <summary>How many processes and threads the replica may have at once (1 to <see cref="MaxPids"/>), or null for the agent's default.</summary>
    /// <exception cref="ArgumentOutOfRangeException">On init, a number outside 1 to <see cref="MaxPids"/>.</exception>
    public int? Pids
    {
        get => _pids;
        init => _pids = value is null or (>= 1 and <= MaxPids)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"a pids limit must be between 1 and {MaxPids}");
    }
}
