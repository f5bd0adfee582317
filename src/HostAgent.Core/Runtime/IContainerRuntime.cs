namespace Workers.HostAgent.Runtime;

/// <summary>
/// The narrow view of the container engine that the host agent needs. Every operation is idempotent: it can be
/// repeated after a crash or a lost reply without creating duplicates or failing on "already done".
/// </summary>
public interface IContainerRuntime
{
    /// <summary>What the engine's host offers: NCPU × 1000 millicores and the total memory in bytes.</summary>
    Task<RuntimeCapacity> GetCapacityAsync(CancellationToken cancellationToken);

    /// <summary>All containers, running or not, that carry every one of <paramref name="labels"/>.</summary>
    Task<IReadOnlyList<ManagedContainer>> ListAsync(IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken);

    /// <summary>
    /// Makes sure the container named <see cref="ContainerLaunch.Name"/> runs: reuses a running one, starts a stopped one,
    /// creates a missing one. Failures the engine reports (no image, port taken, engine unreachable) are returned as
    /// <see cref="ContainerFailed"/>, not thrown.
    /// </summary>
    Task<StartOutcome> EnsureRunningAsync(ContainerLaunch launch, CancellationToken cancellationToken);

    /// <summary>
    /// Calls <paramref name="onExit"/> with the container id whenever a container carrying all of
    /// <paramref name="labels"/> dies or is removed (Docker events), until cancelled; throws when the stream breaks.
    /// </summary>
    Task WatchExitsAsync(IReadOnlyDictionary<string, string> labels, Func<string, Task> onExit, CancellationToken cancellationToken);

    /// <summary>
    /// Stops (SIGTERM, then SIGKILL after <paramref name="stopGrace"/>) and keeps the container, labels and all;
    /// false when it did not exist. Stopping a stopped container is fine.
    /// </summary>
    Task<bool> StopAsync(string nameOrId, TimeSpan stopGrace, CancellationToken cancellationToken);

    /// <summary>Stops (SIGTERM, then SIGKILL after <paramref name="stopGrace"/>) and removes; false when it did not exist.</summary>
    Task<bool> RemoveAsync(string name, TimeSpan stopGrace, CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="command"/> inside the running container and waits for it to end; throws
    /// <see cref="TimeoutException"/> when it has not ended within <paramref name="timeout"/>.
    /// </summary>
    Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>
    /// One bounded chunk of the container's stdout and stderr, oldest first, as the engine keeps them; null when there is
    /// no such container. Whether it runs is read before the logs, so a container that has stopped has nothing after them.
    /// </summary>
    Task<ContainerLogs?> ReadLogsAsync(string containerId, LogsRead read, CancellationToken cancellationToken);
}

/// <summary>Which of a container's log lines to read, and the chunk's bounds.</summary>
/// <param name="Tail">Only the last this many lines, or null for all; not used with <paramref name="After"/>.</param>
/// <param name="Since">Only lines at or after this moment, or null.</param>
/// <param name="After">Only lines after the one this cursor (a <see cref="LogCursor"/>) names, or null.</param>
/// <param name="MaxLines">The most lines the chunk holds.</param>
/// <param name="MaxBytes">About the most text (UTF-8 bytes) the chunk holds.</param>
public sealed record LogsRead(int? Tail, DateTimeOffset? Since, LogCursor? After, int MaxLines, int MaxBytes);

/// <summary>A chunk of a container's logs: its lines, the cursor of the last one, whether it was cut at its bounds, and whether the container runs.</summary>
public sealed record ContainerLogs(IReadOnlyList<Contracts.Messages.LogLine> Lines, LogCursor? Cursor, bool More, bool Running);

/// <summary>How a command run in a container ended: its exit code and the end of its stdout and stderr, as they came.</summary>
public sealed record ExecResult(long ExitCode, string Output);

public sealed record RuntimeCapacity(long CpuMillicores, long MemoryBytes);

/// <summary>A published port. <paramref name="Protocol"/> is "tcp" or "udp"; <paramref name="HostPort"/> 0 asks the engine to choose.</summary>
public sealed record PortPublish(int ContainerPort, int HostPort, string Protocol);

public sealed record ContainerLaunch(
    string Name,
    string Image,
    IReadOnlyList<string>? Command,
    IReadOnlyDictionary<string, string> Env,
    IReadOnlyList<PortPublish> Ports,
    long? NanoCpus,
    long? MemoryBytes,
    IReadOnlyDictionary<string, string> Labels,
    string BindAddress)
{
    /// <summary>How far the container is confined; <see cref="ContainerHardening.Default"/> unless the agent says more.</summary>
    public ContainerHardening Hardening { get; init; } = ContainerHardening.Default;
}

/// <summary>
/// How far a container is confined beyond what every container gets (every capability dropped, <c>no-new-privileges</c>,
/// not privileged, the bridge network, json-file logs).
/// </summary>
/// <param name="Capabilities">Capabilities given back after all are dropped (Docker's names, without <c>CAP_</c>).</param>
/// <param name="PidsLimit">The most processes and threads at once, at least 1.</param>
/// <param name="User">The user[:group] to run as, or null for the image's.</param>
/// <param name="ReadOnlyRootFilesystem">A read-only root file system, with a tmpfs at <c>/tmp</c>.</param>
/// <param name="LogMaxSize">json-file's <c>max-size</c> (<c>10m</c>): a log file is rotated at this size.</param>
/// <param name="LogMaxFiles">json-file's <c>max-file</c>: how many log files are kept.</param>
public sealed record ContainerHardening(
    IReadOnlyList<string> Capabilities,
    long PidsLimit,
    string? User,
    bool ReadOnlyRootFilesystem,
    string LogMaxSize,
    int LogMaxFiles)
{
    /// <summary>No capability given back, 512 pids, the image's user, a writable root, logs rotated at 10m keeping 3.</summary>
    public static ContainerHardening Default { get; } = new([], 512, null, false, "10m", 3);
}

public sealed record ManagedContainer(
    string Id,
    string Name,
    IReadOnlyDictionary<string, string> Labels,
    bool Running,
    string State,
    IReadOnlyList<PortPublish> Ports,
    DateTimeOffset CreatedAt);

public abstract record StartOutcome;

/// <summary>The container runs; <paramref name="Ports"/> are the host ports actually bound.</summary>
public sealed record ContainerStarted(string ContainerId, IReadOnlyList<PortPublish> Ports, bool AlreadyRunning) : StartOutcome;

/// <summary>
/// The container could not be brought up; <paramref name="Reason"/> carries the engine's message, and
/// <paramref name="HostPortTaken"/> says the engine refused a host port something else holds.
/// </summary>
public sealed record ContainerFailed(string Reason, bool HostPortTaken = false) : StartOutcome;
