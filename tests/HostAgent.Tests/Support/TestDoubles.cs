using System.Collections.Concurrent;
using System.Reflection;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Workers.HostAgent.Agent;
using Workers.HostAgent.Runtime;

namespace Workers.HostAgent.Tests.Support;

/// <summary>
/// Every publish overload of <see cref="IPublishEndpoint"/>: the first <see cref="Failures"/> throw, and so does every
/// message <see cref="FailWhen"/> picks; the rest are kept.
/// </summary>
public class RecordingPublisher : DispatchProxy
{
    private int _calls;

    public int Failures { get; set; }

    /// <summary>Messages to refuse, as a broker out of reach would (null: none).</summary>
    public Func<object, bool>? FailWhen { get; set; }

    public ConcurrentQueue<object> Attempted { get; } = new();

    public ConcurrentQueue<object> Published { get; } = new();

    public IPublishEndpoint Endpoint => (IPublishEndpoint)this;

    /// <summary>A proxy is created as the interface; it is an instance of this class too.</summary>
    public static RecordingPublisher Create() => (RecordingPublisher)Create<IPublishEndpoint, RecordingPublisher>();

    /// <summary>A scope factory whose scopes resolve this publisher, through the agent's MassTransit publisher.</summary>
    public IServiceScopeFactory Scopes() =>
        new ServiceCollection().AddScoped(_ => Endpoint).AddScoped<IAgentPublisher, MassTransitAgentPublisher>().BuildServiceProvider().GetRequiredService<IServiceScopeFactory>();

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        Attempted.Enqueue(args![0]!);
        if (Interlocked.Increment(ref _calls) <= Failures || FailWhen?.Invoke(args[0]!) == true)
        {
            return Task.FromException(new InvalidOperationException("the broker is down"));
        }

        Published.Enqueue(args[0]!);
        return Task.CompletedTask;
    }
}

/// <summary>A container engine in memory: lists what it is given, answers execs as told, stops and removes.</summary>
public sealed class FakeRuntime : IContainerRuntime
{
    private readonly Lock _gate = new();
    private IReadOnlyList<ManagedContainer> _containers = [];
    private int _execs;

    public IReadOnlyList<ManagedContainer> Containers
    {
        get
        {
            lock (_gate)
            {
                return _containers;
            }
        }

        set
        {
            lock (_gate)
            {
                _containers = value;
            }
        }
    }

    /// <summary>Every container id or name asked to stop, in order.</summary>
    public ConcurrentQueue<string> Stops { get; } = new();

    /// <summary>Every container id or name asked to be removed, in order.</summary>
    public ConcurrentQueue<string> Removals { get; } = new();

    public Func<int, ExecResult> Exec { get; set; } = _ => new ExecResult(0, string.Empty);

    public int Execs => Volatile.Read(ref _execs);

    public Task<RuntimeCapacity> GetCapacityAsync(CancellationToken cancellationToken) => Task.FromResult(new RuntimeCapacity(2000, 4L << 30));

    public Task<IReadOnlyList<ManagedContainer>> ListAsync(IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ManagedContainer>>([.. Containers.Where(c => labels.All(l => c.Labels.TryGetValue(l.Key, out var v) && v == l.Value))]);

    public Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken) =>
        Task.FromResult(Exec(Interlocked.Increment(ref _execs)));

    /// <summary>What a logs read answers, by container id; a container without an entry has no logs at all (null: no such container).</summary>
    public ConcurrentDictionary<string, ContainerLogs> Logs { get; } = new(StringComparer.Ordinal);

    /// <summary>Every logs read, in order.</summary>
    public ConcurrentQueue<(string ContainerId, LogsRead Read)> LogReads { get; } = new();

    public Task<ContainerLogs?> ReadLogsAsync(string containerId, LogsRead read, CancellationToken cancellationToken)
    {
        LogReads.Enqueue((containerId, read));
        return Task.FromResult(Logs.GetValueOrDefault(containerId));
    }

    /// <summary>How the engine answers a start; null (the default): it refuses to be asked at all.</summary>
    public Func<ContainerLaunch, StartOutcome>? Start { get; set; }

    /// <summary>Every launch the engine was asked for, in order (only when <see cref="Start"/> is set).</summary>
    public ConcurrentQueue<ContainerLaunch> Launches { get; } = new();

    public Task<StartOutcome> EnsureRunningAsync(ContainerLaunch launch, CancellationToken cancellationToken)
    {
        if (Start is not { } start)
        {
            throw new NotSupportedException();
        }

        Launches.Enqueue(launch);
        return Task.FromResult(start(launch));
    }

    public Task WatchExitsAsync(IReadOnlyDictionary<string, string> labels, Func<string, Task> onExit, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<bool> StopAsync(string nameOrId, TimeSpan stopGrace, CancellationToken cancellationToken)
    {
        Stops.Enqueue(nameOrId);
        lock (_gate)
        {
            var found = _containers.Any(c => Is(c, nameOrId));
            _containers = [.. _containers.Select(c => Is(c, nameOrId) ? c with { Running = false, State = "exited" } : c)];
            return Task.FromResult(found);
        }
    }

    public Task<bool> RemoveAsync(string name, TimeSpan stopGrace, CancellationToken cancellationToken)
    {
        Removals.Enqueue(name);
        lock (_gate)
        {
            var found = _containers.Any(c => Is(c, name));
            _containers = [.. _containers.Where(c => !Is(c, name))];
            return Task.FromResult(found);
        }
    }

    /// <summary>A running replica of deployment web, revision 1, on <paramref name="hostId"/>, with these extra labels.</summary>
    public static ManagedContainer Replica(string id, string hostId, DateTimeOffset createdAt, params (string Key, string Value)[] labels)
    {
        var all = new Dictionary<string, string>
        {
            [ContainerLabels.Deployment] = "web",
            [ContainerLabels.DeploymentId] = "6f1c2b0e-2d5e-4c4e-9a53-0d3f5e2b7a10",
            [ContainerLabels.Revision] = "1",
            [ContainerLabels.Replica] = "0",
            [ContainerLabels.Host] = hostId,
        };
        foreach (var (key, value) in labels)
        {
            all[key] = value;
        }

        return new ManagedContainer(id, $"web-r1-0.{hostId}", all, true, "running", [], createdAt);
    }

    private static bool Is(ManagedContainer container, string nameOrId) => container.Id == nameOrId || container.Name == nameOrId;
}
