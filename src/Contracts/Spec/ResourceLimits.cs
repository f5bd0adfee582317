namespace Workers.Contracts.Spec;

/// <summary>What one replica may use; a limit left out is not enforced and not reserved.</summary>
/// <param name="Cpu">The CPU limit, if any.</param>
/// <param name="Memory">The memory limit, if any.</param>
public sealed record ResourceLimits(CpuQuantity? Cpu, MemoryQuantity? Memory)
{
    /// <summary>No limits.</summary>
    public static ResourceLimits None { get; } = new(null, null);
}
