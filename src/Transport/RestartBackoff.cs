namespace Workers.Transport;

/// <summary>
/// When the bus may be restarted again for refused publishes: at once the first time, then no sooner than 30 s after
/// the last restart, doubling up to 5 min while refusals keep coming; after 5 min without a streak, at once again.
/// </summary>
public sealed class RestartBackoff
{
    public static readonly TimeSpan First = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan Maximum = TimeSpan.FromMinutes(5);

    private DateTimeOffset? _last;
    private TimeSpan _wait = TimeSpan.Zero;

    /// <summary>True when a persisting streak at <paramref name="now"/> may restart the bus.</summary>
    public bool Allows(DateTimeOffset now) => _last is not { } last || now - last >= _wait;

    public void Restarted(DateTimeOffset at)
    {
        _wait = _wait == TimeSpan.Zero ? First : TimeSpan.FromTicks(Math.Min(_wait.Ticks * 2, Maximum.Ticks));
        _last = at;
    }

    /// <summary>No streak at <paramref name="now"/>: once quiet for <see cref="Maximum"/>, the next restart may come at once.</summary>
    public void Quiet(DateTimeOffset now)
    {
        if (_last is { } last && now - last > Maximum)
        {
            (_last, _wait) = (null, TimeSpan.Zero);
        }
    }
}
