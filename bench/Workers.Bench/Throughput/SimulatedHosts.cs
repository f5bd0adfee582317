using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.HostAgent.Agent;
using Workers.HostAgent.Amqp;
using Workers.Transport;

namespace Workers.Bench.Throughput;

/// <summary>
/// Hosts whose container driver acknowledges at once, on the wire as the shipped agent is (src/HostAgent.Amqp): each
/// reads its own <c>host.&lt;id&gt;</c> queue, declared as the agent declares it (AgentTopology), with RabbitMQ.Client,
/// the agent's prefetch and one command at a time; commands are read by the agent's own codec (EnvelopeCodec,
/// WireTypes), and results and heartbeats published by the agent's own publisher (AmqpAgentPublisher: one channel per
/// host, one confirmed publish at a time), all hosts' on one connection. A
/// StartReplicas is answered with one ReplicaStarted per replica as ReplicaCommandHandler does, then one
/// ReplicaHealthChanged (healthy) per replica as the agent's HealthMonitor does for a replica without a check once it
/// has run for minReady (0 s in the bench's spec); heartbeats are shaped like HeartbeatService's: its capacity less the
/// limits of what it runs, the replicas it runs and the host ports they hold. Until 2026-11-28 they ran on MassTransit,
/// 1,000 receive endpoints in this process, which the agent no longer does.
/// </summary>
internal sealed class SimulatedHosts : IAsyncDisposable
{
    /// <summary>Ample: every replica of the largest run would fit on one host.</summary>
    public const long CpuMillicores = 256_000;

    public const long MemoryBytes = 1L << 40;

    private readonly SimulatedHost[] _hosts;
    private readonly List<IChannel> _channels = [];
    private readonly Dictionary<SimulatedHost, AmqpAgentPublisher> _publishers = [];
    private IConnection? _consuming;
    private AmqpAgentConnection? _publishing;

    public SimulatedHosts(int count) =>
        _hosts = [.. Enumerable.Range(0, count).Select(i => new SimulatedHost(HostId.From($"host-{i:D4}").Value))];

    public IReadOnlyList<SimulatedHost> Hosts => _hosts;

    public IEnumerable<string> Queues => _hosts.Select(h => AgentTopology.Queue(h.Id));

    /// <summary>Declares every host's queue and starts reading it; returns once all are read.</summary>
    public async Task StartAsync(Broker broker, Uri amqp, CancellationToken cancellationToken)
    {
        _consuming = await new ConnectionFactory { Uri = amqp, ClientProvidedName = "bench-hosts" }.CreateConnectionAsync(cancellationToken);
        _publishing = new AmqpAgentConnection(broker, "bench-hosts-publish", NullLogger<AmqpAgentConnection>.Instance);
        foreach (var host in _hosts)
        {
            var publisher = _publishers[host] = new AmqpAgentPublisher(_publishing, host.Options);

            var channel = await _consuming.CreateChannelAsync(new CreateChannelOptions(false, false, consumerDispatchConcurrency: 1), cancellationToken);
            _channels.Add(channel);
            var queue = AgentTopology.Queue(host.Id);
            await AgentTopology.DeclareQueueAsync(channel, queue, cancellationToken);
            await channel.BasicQosAsync(0, AgentCommandPump.PrefetchCount, global: false, cancellationToken);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += async (_, delivery) =>
            {
                var envelope = EnvelopeCodec.Read(delivery.Body.Span);
                var command = WireTypes.Command(envelope.MessageType)?.Read(envelope.Message ?? default);
                var results = command switch
                {
                    StartReplicas start => host.Start(start),
                    StopReplicas stop => host.Stop(stop),
                    _ => [],
                };
                foreach (var result in results)
                {
                    await publisher.PublishAsync(result, CancellationToken.None);
                }

                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            };
            await channel.BasicConsumeAsync(queue, autoAck: false, consumer, cancellationToken);
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
    public async Task HeartbeatAsync(TimeSpan interval, Action<int> published, CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(_hosts, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (host, token) =>
        {
            await _publishers[host].PublishAsync(host.Heartbeat(), token);
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

                    // Not cancelled half-way: a publish cut off before its confirm would be lost to the round.
                    await _publishers[host].PublishAsync(host.Heartbeat(), CancellationToken.None);
                    published(1);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The round is over.
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            await channel.DisposeAsync();
        }

        foreach (var publisher in _publishers.Values)
        {
            await publisher.DisposeAsync();
        }

        if (_consuming is not null)
        {
            await _consuming.DisposeAsync();
        }

        if (_publishing is not null)
        {
            await _publishing.DisposeAsync();
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

    /// <summary>What the agent's publisher needs of its agent: its host id (the source address of what it sends).</summary>
    public AgentOptions Options => _options ??= new AgentOptions(HostId.From(Id), new Dictionary<string, string>(), "0.0.0.0", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10))
    {
        Keys = _keys,
        // Read by the agent's command handler, which the simulated hosts stand in for (they do not check commands).
        ControlKeys = new Workers.Security.TrustedKeys([_keys.Signing.PublicKey]),
    };

    private AgentOptions? _options;

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

    /// <summary>What the agent publishes for <paramref name="command"/>, in order: each replica started (or failed), then each healthy.</summary>
    public IReadOnlyList<object> Start(StartReplicas command)
    {
        Interlocked.Increment(ref _starts);
        var now = DateTimeOffset.UtcNow;
        var refusal = command.HostId != Id ? $"the command is addressed to host {command.HostId}, not {Id}"
            : now > command.ExpiresAt ? $"the command expired at {command.ExpiresAt:O} before it arrived"
            : null;
        var name = command.Spec.Name.Value;
        var results = new List<object>(2 * command.Replicas.Count);
        var started = new List<(int Index, string ContainerId)>();
        foreach (var replica in command.Replicas)
        {
            if (refusal is null)
            {
                var containerId = Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
                _running[(name, command.Revision, replica.Index)] = new Replica(
                    name, command.Revision, replica.Index, containerId, now, command.Spec.Resources.Cpu?.Millicores ?? 0, command.Spec.Resources.Memory?.Bytes ?? 0, replica.Ports);
                results.Add(_keys.Signing.Sign(new ReplicaStarted(Guid.NewGuid(), command.CorrelationId, DateTimeOffset.UtcNow, Id, name, command.Revision, replica.Index, containerId, replica.Ports)));
                started.Add((replica.Index, containerId));
            }
            else
            {
                results.Add(_keys.Signing.Sign(new ReplicaFailed(Guid.NewGuid(), command.CorrelationId, DateTimeOffset.UtcNow, Id, name, command.Revision, replica.Index, refusal)));
            }
        }

        // The agent judges a replica without a check healthy once it has run for minReady (0 s here) and says so.
        foreach (var (index, containerId) in started)
        {
            results.Add(_keys.Signing.Sign(new ReplicaHealthChanged(Guid.NewGuid(), command.CorrelationId, DateTimeOffset.UtcNow, Id, name, command.Revision, index, containerId, ReplicaHealth.Healthy, null)));
        }

        return results;
    }

    /// <summary>One ReplicaStopped per index of <paramref name="command"/>.</summary>
    public IReadOnlyList<object> Stop(StopReplicas command)
    {
        Interlocked.Increment(ref _stops);
        var results = new List<object>(command.Indexes.Count);
        foreach (var index in command.Indexes)
        {
            _running.TryRemove((command.Name, command.Revision, index), out _);
            results.Add(_keys.Signing.Sign(new ReplicaStopped(Guid.NewGuid(), command.CorrelationId, DateTimeOffset.UtcNow, Id, command.Name, command.Revision, index)));
        }

        return results;
    }

    private sealed record Replica(string Name, long Revision, int Index, string ContainerId, DateTimeOffset CreatedAt, long CpuMillicores, long MemoryBytes, IReadOnlyList<PortBinding> Ports);
}
