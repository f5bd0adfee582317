using System.Collections.Concurrent;
using MassTransit;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Transport;

namespace Workers.Bench.Throughput;

/// <summary>
/// Hosts whose container driver acknowledges at once: each reads its own <c>host.&lt;id&gt;</c> queue, set up as the
/// agent sets up its own (AgentRegistration.ConfigureAgentEndpoint: no consume topology, one command at a time, the
/// Workers endpoint policy), answers a StartReplicas with one ReplicaStarted per replica as ReplicaCommandHandler
/// does, then one ReplicaHealthChanged (healthy) per replica as the agent's HealthMonitor does for a replica without a
/// check once it has run for minReady (0 s in the bench's spec), and reports heartbeats shaped like HeartbeatService's: its capacity less the limits of what it runs, the
/// replicas it runs and the host ports they hold.
/// </summary>
internal sealed class SimulatedHosts
{
    /// <summary>Ample: every replica of the largest run would fit on one host.</summary>
    public const long CpuMillicores = 256_000;

    public const long MemoryBytes = 1L << 40;

    private readonly SimulatedHost[] _hosts;

    public SimulatedHosts(int count) =>
        _hosts = [.. Enumerable.Range(0, count).Select(i => new SimulatedHost(HostId.From($"host-{i:D4}").Value))];

    public IReadOnlyList<SimulatedHost> Hosts => _hosts;

    public IEnumerable<string> Queues => _hosts.Select(h => Transport.Queues.Host(h.Id));

    public void ConfigureEndpoints(IBusFactoryConfigurator<IReceiveEndpointConfigurator> cfg)
    {
        foreach (var host in _hosts)
        {
            cfg.ReceiveEndpoint(Transport.Queues.Host(host.Id), endpoint =>
            {
                endpoint.ConfigureConsumeTopology = false;
                endpoint.ConcurrentMessageLimit = 1;
                endpoint.ApplyWorkersEndpointPolicy();
                endpoint.Handler<StartReplicas>(host.StartAsync);
                endpoint.Handler<StopReplicas>(host.StopAsync);
            });
        }
    }

    public void Reset()
    {
        foreach (var host in _hosts)
        {
            host.Reset();
        }
    }

    /// <summary>
    /// Every host reports once at once, then each every <paramref name="interval"/>, spread evenly over it as
    /// independent agents would be. Returns when cancelled.
    /// </summary>
    public async Task HeartbeatAsync(IPublishEndpoint bus, TimeSpan interval, Action<int> published, CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(_hosts, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (host, token) =>
        {
            await bus.Publish(host.Heartbeat(), token);
            published(1);
        });
        var slot = interval / _hosts.Length;
        var next = DateTimeOffset.UtcNow;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                foreach (var host in _hosts)
                {
                    next += slot;
                    var wait = next - DateTimeOffset.UtcNow;
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, cancellationToken);
                    }

                    // Not cancelled half-way: a publish cut off before its confirm would only log a fault.
                    await bus.Publish(host.Heartbeat(), CancellationToken.None);
                    published(1);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The round is over.
        }
    }
}

/// <summary>One simulated host: what it runs, and its answers to commands.</summary>
internal sealed class SimulatedHost(string id)
{
    private readonly ConcurrentDictionary<(string Name, long Revision, int Index), Replica> _running = new();
    private Guid _session = Guid.NewGuid();
    private int _starts;
    private int _stops;

    public string Id { get; } = id;

    /// <summary>Its agent keys: its messages are signed as a real agent's are, or the functions refuse them.</summary>
    private readonly Workers.Security.AgentKeys _keys = Workers.Security.AgentKeys.Generate();

    /// <summary>StartReplicas commands received this round.</summary>
    public int Starts => Volatile.Read(ref _starts);

    /// <summary>StopReplicas commands received this round (none is expected).</summary>
    public int Stops => Volatile.Read(ref _stops);

    public void Reset()
    {
        _running.Clear();
        _session = Guid.NewGuid();
        Interlocked.Exchange(ref _starts, 0);
        Interlocked.Exchange(ref _stops, 0);
    }

    public HostHeartbeat Heartbeat()
    {
        var running = _running.Values.ToList();
        return _keys.Signing.Sign(new HostHeartbeat(
            Guid.NewGuid(),
            _session,
            DateTimeOffset.UtcNow,
            Id,
            new Dictionary<string, string>(),
            "0.0.0.0",
            SimulatedHosts.CpuMillicores,
            SimulatedHosts.MemoryBytes,
            SimulatedHosts.CpuMillicores - running.Sum(r => r.CpuMillicores),
            SimulatedHosts.MemoryBytes - running.Sum(r => r.MemoryBytes),
            [.. running.Select(r => new RunningReplica(r.Name, r.Revision, r.Index, r.ContainerId, true, r.CreatedAt, ReplicaHealth.Healthy))],
            // The agent reports every port something listens on; a published container port is one (docker-proxy).
            [.. running.SelectMany(r => r.Ports).Select(p => new HostPort(p.HostPort, p.Protocol)).OrderBy(p => p.Port)],
            null,
            _keys.Identity));
    }

    public async Task StartAsync(ConsumeContext<StartReplicas> context)
    {
        Interlocked.Increment(ref _starts);
        var command = context.Message;
        var now = DateTimeOffset.UtcNow;
        var refusal = command.HostId != Id ? $"the command is addressed to host {command.HostId}, not {Id}"
            : now > command.ExpiresAt ? $"the command expired at {command.ExpiresAt:O} before it arrived"
            : null;
        var name = command.Spec.Name.Value;
        var started = new List<(int Index, string ContainerId)>();
        foreach (var replica in command.Replicas)
        {
            object result;
            if (refusal is null)
            {
                var containerId = Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
                _running[(name, command.Revision, replica.Index)] = new Replica(
                    name, command.Revision, replica.Index, containerId, now, command.Spec.Resources.Cpu?.Millicores ?? 0, command.Spec.Resources.Memory?.Bytes ?? 0, replica.Ports);
                result = _keys.Signing.Sign(new ReplicaStarted(Guid.NewGuid(), command.CorrelationId, DateTimeOffset.UtcNow, Id, name, command.Revision, replica.Index, containerId, replica.Ports));
                started.Add((replica.Index, containerId));
            }
            else
            {
                result = _keys.Signing.Sign(new ReplicaFailed(Guid.NewGuid(), command.CorrelationId, DateTimeOffset.UtcNow, Id, name, command.Revision, replica.Index, refusal));
            }

            await context.Publish(result, result.GetType(), context.CancellationToken);
        }

        // The agent judges a replica without a check healthy once it has run for minReady (0 s here) and says so.
        foreach (var (index, containerId) in started)
        {
            await context.Publish(
                _keys.Signing.Sign(new ReplicaHealthChanged(Guid.NewGuid(), command.CorrelationId, DateTimeOffset.UtcNow, Id, name, command.Revision, index, containerId, ReplicaHealth.Healthy, null)),
                context.CancellationToken);
        }
    }

    public async Task StopAsync(ConsumeContext<StopReplicas> context)
    {
        Interlocked.Increment(ref _stops);
        var command = context.Message;
        foreach (var index in command.Indexes)
        {
            _running.TryRemove((command.Name, command.Revision, index), out _);
            await context.Publish(_keys.Signing.Sign(new ReplicaStopped(Guid.NewGuid(), command.CorrelationId, DateTimeOffset.UtcNow, Id, command.Name, command.Revision, index)), context.CancellationToken);
        }
    }

    private sealed record Replica(string Name, long Revision, int Index, string ContainerId, DateTimeOffset CreatedAt, long CpuMillicores, long MemoryBytes, IReadOnlyList<PortBinding> Ports);
}
