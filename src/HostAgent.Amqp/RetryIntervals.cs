namespace Workers.HostAgent.Amqp;

/// <summary>
/// The agent endpoint's retry policy (<c>UseMessageRetry(r => r.Exponential(5, 100 ms, 5 s, 200 ms))</c> in
/// <c>ApplyWorkersEndpointPolicy</c>), computed as MassTransit's <c>ExponentialRetryPolicy</c> does: the i-th wait is
/// <c>min(100 ms + 2^i × delta, 5 s)</c> with delta drawn from 80–120 % of 200 ms, then jittered by 75–125 %.
/// </summary>
public static class RetryIntervals
{
    public const int Retries = 5;

    private static readonly TimeSpan Min = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(5);
    private const int DeltaMilliseconds = 200;

    /// <summary>How long to wait before retry <paramref name="retry"/> (0 for the first).</summary>
    public static TimeSpan Before(int retry)
    {
        var delta = Random.Shared.Next(DeltaMilliseconds * 8 / 10, DeltaMilliseconds * 12 / 10);
        var interval = Math.Min(Min.TotalMilliseconds + (Math.Pow(2, retry) * delta), Max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(interval * ((Random.Shared.NextDouble() * 0.5) + 0.75));
    }
}
