using Workers.Contracts.Messages;

namespace Workers.HostAgent.Agent;

/// <summary>A replica's health as last judged, and why it is unhealthy when it is.</summary>
public sealed record HealthVerdict(ReplicaHealth Health, string? Reason)
{
    public static HealthVerdict Starting { get; } = new(ReplicaHealth.Starting, null);

    public static HealthVerdict Healthy { get; } = new(ReplicaHealth.Healthy, null);
}

/// <summary>
/// Judges one replica from its check's answers, as they come. Healthy once the check has kept passing for
/// <c>minReady</c> (the first pass starts the clock, any failure stops it; 0 is healthy at the first pass); unhealthy
/// after <c>retries</c> failures in a row, with the last answer as the reason, until passing for <c>minReady</c> makes
/// it healthy again. A replica without a check is judged as one whose check has passed since its container started.
/// </summary>
public sealed class HealthJudge(int retries, TimeSpan minReady, TimeProvider time, DateTimeOffset? passingSince = null)
{
    private DateTimeOffset? _passingSince = passingSince;
    private int _failures;

    /// <summary>The verdict now; read from any thread (it is replaced, never changed).</summary>
    public HealthVerdict Verdict { get; private set; } = HealthVerdict.Starting;

    /// <summary>The check passed now; true when that changed <see cref="ReplicaHealth"/>.</summary>
    public bool Passed()
    {
        var now = time.GetUtcNow();
        _failures = 0;
        _passingSince ??= now;
        if (Verdict.Health == ReplicaHealth.Healthy || now - _passingSince < minReady)
        {
            return false;
        }

        Verdict = HealthVerdict.Healthy;
        return true;
    }

    /// <summary>The check failed now with <paramref name="reason"/>; true when that changed <see cref="ReplicaHealth"/>.</summary>
    public bool Failed(string reason)
    {
        _passingSince = null;
        _failures = Math.Min(_failures + 1, retries);
        if (_failures < retries)
        {
            return false;
        }

        var changed = Verdict.Health != ReplicaHealth.Unhealthy;
        Verdict = new HealthVerdict(ReplicaHealth.Unhealthy, reason);
        return changed;
    }
}
