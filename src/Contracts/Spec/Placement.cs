namespace Workers.Contracts.Spec;

/// <summary>Where replicas may run.</summary>
/// <param name="Labels">A host must carry all of these labels with these values.</param>
/// <param name="Hosts">When given, only these hosts are considered.</param>
public sealed record Placement(ValueMap Labels, ValueList<HostId>? Hosts)
{
    /// <summary>Anywhere.</summary>
    public static Placement Anywhere { get; } = new(ValueMap.Empty, null);
}
