namespace Workers.Transport;

/// <summary>
/// Refused publishes close enough together to be one condition rather than a blip: at least <see cref="MinimumCount"/>
/// refusals spanning <see cref="MinimumSpan"/>, none more than <see cref="MaximumGap"/> after the one before.
/// MassTransit's own retry of one refused publish waits 3 s and more between attempts, so a single stuck publish
/// makes a streak too.
/// </summary>
public sealed class RefusalStreak
{
    public static readonly TimeSpan MinimumSpan = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaximumGap = TimeSpan.FromSeconds(30);
    public const int MinimumCount = 3;

    private readonly Lock _lock = new();
    private DateTimeOffset _first;
    private DateTimeOffset _last;
    private int _count;

    public void Refused(DateTimeOffset at)
    {
        lock (_lock)
        {
            if (_count == 0 || at - _last > MaximumGap)
            {
                (_first, _last, _count) = (at, at, 0);
            }
            else if (at > _last)
            {
                _last = at;
            }

            _count++;
        }
    }

    /// <summary>True when the refusals at <paramref name="now"/> make a streak that has not ended.</summary>
    public bool Persists(DateTimeOffset now)
    {
        lock (_lock)
        {
            return _count >= MinimumCount && _last - _first >= MinimumSpan && now - _last <= MaximumGap;
        }
    }

    /// <summary>Forgets the streak: after a reconnect only new refusals count.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _count = 0;
        }
    }
}
