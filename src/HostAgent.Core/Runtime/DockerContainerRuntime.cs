using System.Net;
using System.Text;
using Workers.DockerEngine;
using Workers.DockerEngine.Models;
using Workers.Telemetry;

namespace Workers.HostAgent.Runtime;

/// <summary>
/// <see cref="IContainerRuntime"/> on the Docker Engine API (<see cref="DockerEngineClient"/>).
/// </summary>
/// <remarks>
/// <para>The endpoint is <c>DOCKER_HOST</c>, or <c>unix:///var/run/docker.sock</c>; <see cref="DockerConnection"/>
/// connects and negotiates the API version.</para>
/// <para>Idempotency comes from the engine's own answers: 404 (no such container/image) and 409 (name already in use)
/// are expected outcomes, not errors. Anything else the engine refuses while bringing a container up becomes a
/// <see cref="ContainerFailed"/> carrying the engine's message; other failures propagate.</para>
/// <para>This class is the containers' lifecycle: create (pulling a missing image), start, stop, remove, exec, list and
/// watch. Containers are created with least privilege (<see cref="DockerLaunchParameters"/>); their ports are
/// <see cref="DockerPorts"/>'s; the engine's errors are read by <see cref="DockerEngineErrors"/>.</para>
/// </remarks>
public sealed partial class DockerContainerRuntime : IContainerRuntime, IDisposable
{
    /// <summary>The endpoint used when <c>DOCKER_HOST</c> is not set.</summary>
    public static readonly Uri DefaultEndpoint = new("unix:///var/run/docker.sock");

    private const int MaxBringUpAttempts = 2;

    /// <summary>How much of an exec's output is kept: the end, where the reason for a failure usually is.</summary>
    private const int ExecOutputTail = 4096;

    private readonly Uri _endpoint;
    private readonly ILogger<DockerContainerRuntime> _logger;
    private readonly DockerConnection _connection;

    public DockerContainerRuntime(ILogger<DockerContainerRuntime> logger)
        : this(EndpointFromEnvironment(), logger)
    {
    }

    public DockerContainerRuntime(Uri endpoint, ILogger<DockerContainerRuntime> logger)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(logger);
        _endpoint = endpoint;
        _logger = logger;
        _connection = new DockerConnection(endpoint, logger);
    }

    /// <summary>The engine endpoint this runtime talks to.</summary>
    public Uri Endpoint => _endpoint;

    /// <summary><c>DOCKER_HOST</c> when set, otherwise <see cref="DefaultEndpoint"/>.</summary>
    public static Uri EndpointFromEnvironment()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        return string.IsNullOrWhiteSpace(host) ? DefaultEndpoint : new Uri(host.Trim());
    }

    /// <summary>The API version negotiated with the engine (connects when not connected yet).</summary>
    public Task<Version> GetApiVersionAsync(CancellationToken cancellationToken) => _connection.GetApiVersionAsync(cancellationToken);

    public async Task<RuntimeCapacity> GetCapacityAsync(CancellationToken cancellationToken)
    {
        using var operation = WorkersTelemetry.Docker("info", "docker info");
        var client = await _connection.GetClientAsync(cancellationToken);
        var info = await client.GetInfoAsync(cancellationToken);
        return new RuntimeCapacity(info.NCpu * 1000, info.MemTotal);
    }

    public async Task<IReadOnlyList<ManagedContainer>> ListAsync(
        IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        using var operation = WorkersTelemetry.Docker("list", "docker list");
        ArgumentNullException.ThrowIfNull(labels);
        var client = await _connection.GetClientAsync(cancellationToken);
        var filters = labels.Count > 0
            ? new Dictionary<string, IReadOnlyCollection<string>>(StringComparer.Ordinal) { ["label"] = LabelFilter(labels) }
            : null;
        var containers = await client.ListContainersAsync(all: true, filters, cancellationToken);
        return containers
            .Where(container => CarriesAll(container.Labels, labels))
            .Select(ToManagedContainer)
            .ToList();
    }

    public async Task WatchExitsAsync(IReadOnlyDictionary<string, string> labels, Func<string, Task> onExit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(onExit);
        var client = await _connection.GetClientAsync(cancellationToken);
        var filters = new Dictionary<string, IReadOnlyCollection<string>>(StringComparer.Ordinal)
        {
            ["type"] = ["container"],
            ["event"] = ["die", "oom", "destroy"],
            ["label"] = LabelFilter(labels),
        };
        // The stream is read on while a slow onExit runs: the engine must not be kept waiting on the agent.
        var exits = System.Threading.Channels.Channel.CreateUnbounded<string>();
        var forward = Task.Run(async () =>
        {
            await foreach (var id in exits.Reader.ReadAllAsync(cancellationToken))
            {
                await onExit(id);
            }
        }, cancellationToken);
        try
        {
            await foreach (var message in client.MonitorEventsAsync(filters, cancellationToken))
            {
                exits.Writer.TryWrite(message.Actor?.Id ?? string.Empty);
            }
        }
        finally
        {
            exits.Writer.TryComplete();
            await forward.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    public async Task<StartOutcome> EnsureRunningAsync(ContainerLaunch launch, CancellationToken cancellationToken)
    {
        using var operation = WorkersTelemetry.Docker("ensure-running", "docker ensure-running");
        DockerLaunchParameters.Validate(launch);
        operation.Activity?.SetTag("container.name", launch.Name);
        try
        {
            var client = await _connection.GetClientAsync(cancellationToken);
            var outcome = await BringUpAsync(client, launch, cancellationToken);
            if (outcome is ContainerFailed failed)
            {
                operation.Activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, failed.Reason);
            }

            return outcome;
        }
        catch (Exception exception) when (DockerEngineErrors.IsEngineUnreachable(exception, cancellationToken))
        {
            Log.EngineUnreachable(_logger, launch.Name, _endpoint, exception.Message);
            return new ContainerFailed($"the Docker engine at {_endpoint} is unreachable: {exception.Message}");
        }
        catch (DockerEngineUnsupportedException exception)
        {
            return new ContainerFailed(exception.Message);
        }
    }

    public async Task<bool> StopAsync(string nameOrId, TimeSpan stopGrace, CancellationToken cancellationToken)
    {
        using var operation = WorkersTelemetry.Docker("stop", "docker stop");
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrId);
        ArgumentOutOfRangeException.ThrowIfLessThan(stopGrace, TimeSpan.Zero);
        var client = await _connection.GetClientAsync(cancellationToken);
        try
        {
            await StopContainerAsync(client, nameOrId, stopGrace, cancellationToken);
        }
        catch (DockerEngineException exception) when (exception.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        Log.Stopped(_logger, nameOrId);
        return true;
    }

    /// <summary>SIGTERM, then SIGKILL after the grace; a container already stopped (304) is the outcome asked for.</summary>
    private static Task StopContainerAsync(DockerEngineClient client, string nameOrId, TimeSpan stopGrace, CancellationToken cancellationToken) =>
        client.StopContainerAsync(nameOrId, (uint)Math.Ceiling(stopGrace.TotalSeconds), cancellationToken);

    public async Task<bool> RemoveAsync(string name, TimeSpan stopGrace, CancellationToken cancellationToken)
    {
        using var operation = WorkersTelemetry.Docker("remove", "docker remove");
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(stopGrace, TimeSpan.Zero);
        var client = await _connection.GetClientAsync(cancellationToken);
        try
        {
            await StopContainerAsync(client, name, stopGrace, cancellationToken);
            await client.RemoveContainerAsync(name, force: true, cancellationToken);
        }
        catch (DockerEngineException exception) when (exception.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        Log.Removed(_logger, name);
        return true;
    }

    public async Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var operation = WorkersTelemetry.Docker("exec", "docker exec");
        ArgumentException.ThrowIfNullOrWhiteSpace(containerId);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentOutOfRangeException.ThrowIfZero(command.Count);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            var client = await _connection.GetClientAsync(bounded.Token);
            var exec = await client.CreateExecAsync(
                containerId, new ExecCreateRequest([.. command], AttachStdout: true, AttachStderr: true), bounded.Token);
            string output;
            using (var stream = await client.StartExecAsync(exec.Id, bounded.Token))
            {
                // WaitAsync: a read of the hijacked connection need not honour the token; disposing the stream ends it.
                output = await ReadTailAsync(stream, bounded.Token).WaitAsync(bounded.Token);
            }

            var ended = await client.InspectExecAsync(exec.Id, bounded.Token);
            return new ExecResult(ended.ExitCode ?? throw new InvalidOperationException($"exec of {command[0]} ended without an exit code"), output);
        }
        catch (DockerEngineException exception)
        {
            // E.g. 409 "Container ... is not running": the engine's own words, without the client's wrapping.
            throw new InvalidOperationException(exception.EngineMessage, exception);
        }
        catch (OperationCanceledException exception) when (bounded.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The engine cannot stop an exec: the command may still run in the container.
            throw new TimeoutException($"{command[0]} did not end within {timeout.TotalMilliseconds:0} ms", exception);
        }
    }

    public void Dispose() => _connection.Dispose();

    private async Task<StartOutcome> BringUpAsync(DockerEngineClient client, ContainerLaunch launch, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var lastAttempt = attempt >= MaxBringUpAttempts;

            // A new container is the common case, so create first, as `docker run` does: the engine's own answers
            // (409 name in use, 404 no such image) lead to the other cases, and a fresh start costs no extra calls.
            var created = await CreateAsync(client, launch, cancellationToken);
            if (created is Created { Id: var id })
            {
                return await StartCreatedAsync(client, launch, id, cancellationToken);
            }

            if (created is CreateFailed { Reason: var createFailure })
            {
                return new ContainerFailed(createFailure);
            }

            var existing = await InspectOrNullAsync(client, launch.Name, cancellationToken);
            if (existing is null)
            {
                if (lastAttempt)
                {
                    return new ContainerFailed($"container name {launch.Name} is in use but the container cannot be inspected");
                }

                // Removed between create and inspect: create it afresh.
                continue;
            }

            if (existing.State?.Running == true)
            {
                if (existing.State.Paused)
                {
                    await client.UnpauseContainerAsync(existing.Id, cancellationToken);
                }

                return new ContainerStarted(existing.Id, DockerPorts.Bound(existing), AlreadyRunning: true);
            }

            try
            {
                await client.StartContainerAsync(existing.Id, cancellationToken);
                Log.StartedExisting(_logger, launch.Name, existing.Id);
                return new ContainerStarted(existing.Id, await DockerPorts.BoundAsync(client, existing.Id, cancellationToken), AlreadyRunning: false);
            }
            catch (DockerEngineException exception) when (exception.StatusCode == HttpStatusCode.NotFound && !lastAttempt)
            {
                // Removed between inspect and start: create it afresh.
                continue;
            }
            catch (DockerEngineException exception)
            {
                var reason = exception.EngineMessage;
                Log.ExistingStartFailed(_logger, launch.Name, existing.Id, reason);
                await ForceRemoveAsync(client, existing.Id, cancellationToken);
                if (lastAttempt)
                {
                    return new ContainerFailed($"container {launch.Name} could not be started: {reason}", DockerPorts.PortTaken(reason));
                }
            }
        }
    }

    private async Task<StartOutcome> StartCreatedAsync(DockerEngineClient client, ContainerLaunch launch, string id, CancellationToken cancellationToken)
    {
        try
        {
            await client.StartContainerAsync(id, cancellationToken);
        }
        catch (DockerEngineException exception)
        {
            // E.g. "Bind for 127.0.0.1:8080 failed: port is already allocated": leave nothing behind.
            var reason = exception.EngineMessage;
            Log.StartFailed(_logger, launch.Name, id, reason);
            await ForceRemoveAsync(client, id, cancellationToken);
            return new ContainerFailed($"container {launch.Name} could not be started: {reason}", DockerPorts.PortTaken(reason));
        }

        Log.Started(_logger, launch.Name, id);

        // A started container holds exactly the fixed host ports it asked for; only ports the engine chose need asking.
        return new ContainerStarted(id, await DockerPorts.StartedAsync(client, launch, id, cancellationToken), AlreadyRunning: false);
    }

    private async Task<CreateResult> CreateAsync(DockerEngineClient client, ContainerLaunch launch, CancellationToken cancellationToken)
    {
        for (var pulled = false; ; pulled = true)
        {
            try
            {
                var response = await client.CreateContainerAsync(launch.Name, DockerLaunchParameters.Create(launch), cancellationToken);
                return new Created(response.Id);
            }
            catch (DockerEngineException exception) when (exception.StatusCode == HttpStatusCode.Conflict)
            {
                return new NameConflict();
            }
            catch (DockerEngineException exception) when (exception.StatusCode == HttpStatusCode.NotFound && !pulled)
            {
                // No such image: pull it and create again.
                if (await PullAsync(client, launch.Image, cancellationToken) is { } imageProblem)
                {
                    return new CreateFailed(imageProblem);
                }
            }
            catch (DockerEngineException exception)
            {
                // 404 here means the image vanished after the pull; 400 a launch the engine rejects.
                return new CreateFailed($"container {launch.Name} could not be created: {exception.EngineMessage}");
            }
        }
    }

    /// <returns>null when the image was pulled, otherwise why it is not available.</returns>
    private async Task<string?> PullAsync(DockerEngineClient client, string image, CancellationToken cancellationToken)
    {
        Log.PullingImage(_logger, image);
        string? error;
        try
        {
            // Errors met mid-stream come as a message in the progress stream, not as a status code.
            error = await client.PullImageAsync(image, cancellationToken);
        }
        catch (DockerEngineException exception)
        {
            error = exception.EngineMessage;
        }

        return error is null ? null : $"image {image} is not present and could not be pulled: {error}";
    }

    private static async Task<ContainerInspectResponse?> InspectOrNullAsync(
        DockerEngineClient client, string nameOrId, CancellationToken cancellationToken)
    {
        try
        {
            return await client.InspectContainerAsync(nameOrId, cancellationToken);
        }
        catch (DockerEngineException exception) when (exception.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static async Task ForceRemoveAsync(DockerEngineClient client, string id, CancellationToken cancellationToken)
    {
        try
        {
            await client.RemoveContainerAsync(id, force: true, cancellationToken);
        }
        catch (DockerEngineException exception) when (exception.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone.
        }
    }

    private static async Task<string> ReadTailAsync(DockerMultiplexedStream stream, CancellationToken cancellationToken)
    {
        var chunk = new byte[ExecOutputTail];
        var tail = new byte[ExecOutputTail];
        var length = 0;
        while (await stream.ReadOutputAsync(chunk, cancellationToken) is { EndOfStream: false, Count: var count })
        {
            var keep = Math.Min(length, tail.Length - count);
            tail.AsSpan(length - keep, keep).CopyTo(tail);
            chunk.AsSpan(0, count).CopyTo(tail.AsSpan(keep));
            length = keep + count;
        }

        return Encoding.UTF8.GetString(tail, 0, length);
    }

    private static ManagedContainer ToManagedContainer(ContainerSummary container)
    {
        var name = container.Names?.FirstOrDefault()?.TrimStart('/') ?? container.Id;
        var ports = DockerPorts.Listed(container.Ports);
        var labels = container.Labels is null
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            : new Dictionary<string, string>(container.Labels, StringComparer.Ordinal);
        var state = container.State ?? string.Empty;
        return new ManagedContainer(
            container.Id, name, labels, string.Equals(state, "running", StringComparison.Ordinal), state, ports, DateTimeOffset.FromUnixTimeSeconds(container.Created));
    }

    /// <summary>The engine's label filter: every <c>key=value</c>, all of which a container must carry.</summary>
    private static string[] LabelFilter(IReadOnlyDictionary<string, string> labels) =>
        [.. labels.Select(label => $"{label.Key}={label.Value}")];

    private static bool CarriesAll(IReadOnlyDictionary<string, string>? actual, IReadOnlyDictionary<string, string> wanted) =>
        wanted.All(label => actual is not null
            && actual.TryGetValue(label.Key, out var value)
            && string.Equals(value, label.Value, StringComparison.Ordinal));

    private abstract record CreateResult;

    private sealed record Created(string Id) : CreateResult;

    private sealed record NameConflict : CreateResult;

    private sealed record CreateFailed(string Reason) : CreateResult;

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning,
            Message = "Cannot bring up container {ContainerName}: Docker engine at {Endpoint} unreachable: {Reason}")]
        public static partial void EngineUnreachable(ILogger logger, string containerName, Uri endpoint, string reason);

        [LoggerMessage(Level = LogLevel.Information, Message = "Image {Image} is not present, pulling it")]
        public static partial void PullingImage(ILogger logger, string image);

        [LoggerMessage(Level = LogLevel.Information, Message = "Started container {ContainerName} ({ContainerId})")]
        public static partial void Started(ILogger logger, string containerName, string containerId);

        [LoggerMessage(Level = LogLevel.Information, Message = "Started existing container {ContainerName} ({ContainerId})")]
        public static partial void StartedExisting(ILogger logger, string containerName, string containerId);

        [LoggerMessage(Level = LogLevel.Warning,
            Message = "Existing container {ContainerName} ({ContainerId}) failed to start, removing it: {Reason}")]
        public static partial void ExistingStartFailed(ILogger logger, string containerName, string containerId, string reason);

        [LoggerMessage(Level = LogLevel.Warning,
            Message = "Container {ContainerName} ({ContainerId}) failed to start, removed it: {Reason}")]
        public static partial void StartFailed(ILogger logger, string containerName, string containerId, string reason);

        [LoggerMessage(Level = LogLevel.Information, Message = "Stopped container {ContainerName}")]
        public static partial void Stopped(ILogger logger, string containerName);

        [LoggerMessage(Level = LogLevel.Information, Message = "Removed container {ContainerName}")]
        public static partial void Removed(ILogger logger, string containerName);
    }
}
