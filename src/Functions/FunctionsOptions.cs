namespace Workers.Functions;

/// <summary>Settings of the functions (section <c>Workers</c>; environment <c>WORKERS_*</c>).</summary>
public sealed class FunctionsOptions
{
    /// <summary>A host whose last heartbeat is older than this is down: the planner does not use it.</summary>
    public TimeSpan HostTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a start command stays valid; an agent refuses it after that.</summary>
    public TimeSpan CommandTimeToLive { get; set; } = TimeSpan.FromMinutes(5);
}
