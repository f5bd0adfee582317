namespace Workers.Functions;

/// <summary>Settings of the functions (section <c>Workers</c>; environment <c>WORKERS_*</c>).</summary>
public sealed class FunctionsOptions
{
    /// <summary>A host whose last heartbeat is older than this is down: the planner does not use it.</summary>
    public TimeSpan HostTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a start command stays valid; an agent refuses it after that.</summary>
    public TimeSpan CommandTimeToLive { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A replica with no result this long after it was placed is lost and placed again elsewhere.</summary>
    public TimeSpan StartDeadline { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A stop with no result this long (or on a host that is down) is taken as done; the container, should it reappear, is an orphan.</summary>
    public TimeSpan StopDeadline { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>A container the store does not want is stopped once it has been unwanted (or unknown) this long.</summary>
    public TimeSpan OrphanGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>An outcome event still in the outbox this long after its state change was never published (its process died): the sweep publishes it.</summary>
    public TimeSpan OutboxGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the event history keeps an event: the sweep forgets older ones.</summary>
    public TimeSpan EventRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the self-hosted sweep runs (the timer function's schedule on Azure).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// What is wrong with these settings, each by its name: every one is a duration that must be positive (0 would make
    /// the sweep loop without a pause, or a host, a start or a stop pass for lost at once).
    /// </summary>
    public IReadOnlyList<string> Problems() =>
    [
        .. new (string Name, TimeSpan Value)[]
        {
            (nameof(HostTimeout), HostTimeout), (nameof(CommandTimeToLive), CommandTimeToLive), (nameof(StartDeadline), StartDeadline),
            (nameof(StopDeadline), StopDeadline), (nameof(OrphanGrace), OrphanGrace), (nameof(OutboxGrace), OutboxGrace),
            (nameof(EventRetention), EventRetention), (nameof(SweepInterval), SweepInterval),
        }
        .Where(s => s.Value <= TimeSpan.Zero)
        .Select(s => $"Workers:{s.Name} must be a positive duration, such as 00:00:30; it is {s.Value}"),
    ];
}
