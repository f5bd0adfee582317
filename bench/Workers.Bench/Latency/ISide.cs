namespace Workers.Bench.Latency;

/// <summary>One way of getting the workload running: set up once, then deployed and cleaned up once per round.</summary>
internal interface ISide : IAsyncDisposable
{
    /// <summary>The column heading.</summary>
    string Name { get; }

    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Starts <paramref name="replicas"/> replicas under <paramref name="name"/>; returns the time until all run.</summary>
    Task<TimeSpan> DeployAsync(string name, int replicas, CancellationToken cancellationToken);

    /// <summary>Removes everything <see cref="DeployAsync"/> made and checks with Docker that none of it is left.</summary>
    Task CleanAsync(string name, CancellationToken cancellationToken);
}
