namespace Workers.Contracts.Spec;

/// <summary>A replica's health check. Built only by the spec parser, which enforces timeout &lt; interval.</summary>
public sealed record HealthCheck
{
    internal HealthCheck(HealthProbe probe, Duration interval, Duration timeout, int retries) =>
        (Probe, Interval, Timeout, Retries) = (probe, interval, timeout, retries);

    /// <summary>What is checked.</summary>
    public HealthProbe Probe { get; }

    /// <summary>The time between checks.</summary>
    public Duration Interval { get; }

    /// <summary>How long one check may take; shorter than <see cref="Interval"/>.</summary>
    public Duration Timeout { get; }

    /// <summary>Consecutive failures (1 to 100) before the replica is unhealthy.</summary>
    public int Retries { get; }
}
