using System.Text.Json;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

namespace Workers.Bench.Throughput;

/// <summary>
/// Message bodies for the raw broker run, as large as Workers' own: each Workers message serialized inside an
/// envelope shaped like MassTransit's (ids, addresses, message type URNs, host info), so that the broker moves the
/// same bytes.
/// </summary>
internal sealed class RawBodies
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private RawBodies(byte[] requested, byte[] accepted, byte[] start, byte[] started, byte[] healthy, byte[] succeeded, byte[] heartbeatIdle, byte[] heartbeatBusy)
    {
        Requested = requested;
        Accepted = accepted;
        Start = start;
        Started = started;
        Healthy = healthy;
        Succeeded = succeeded;
        HeartbeatIdle = heartbeatIdle;
        HeartbeatBusy = heartbeatBusy;
    }

    public byte[] Requested { get; }

    public byte[] Accepted { get; }

    public byte[] Start { get; }

    public byte[] Started { get; }

    public byte[] Healthy { get; }

    public byte[] Succeeded { get; }

    /// <summary>A heartbeat of a host that runs nothing.</summary>
    public byte[] HeartbeatIdle { get; }

    /// <summary>A heartbeat of a host that got replicas, halfway through the run (its average size over the run).</summary>
    public byte[] HeartbeatBusy { get; }

    /// <param name="specText">A deployment's spec as requested.</param>
    /// <param name="replicasPerCommand">Replicas in each StartReplicas.</param>
    /// <param name="busyHostReplicas">Replicas a busy host runs halfway through the run.</param>
    public static RawBodies Make(string specText, int replicasPerCommand, int busyHostReplicas)
    {
        var spec = SpecParser.Parse(specText, "bench.yaml").Spec ?? throw new InvalidOperationException("the bench spec is invalid");
        var id = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;
        var ports = spec.Ports.Select((p, i) => new PortBinding(p.Container.Value, 20000 + i, p.Protocol)).ToList();
        var running = Enumerable.Range(0, busyHostReplicas)
            .Select(i => new RunningReplica($"tp-1-{i:D5}", 1, i % 10, Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"), true, now, ReplicaHealth.Healthy))
            .ToList();
        HostHeartbeat Heartbeat(IReadOnlyList<RunningReplica> replicas) => new(
            Guid.NewGuid(), Guid.NewGuid(), now, "host-0000", new Dictionary<string, string>(), "0.0.0.0", 256_000, 1L << 40, 250_000, 1L << 39,
            replicas, [.. replicas.Select((_, i) => new HostPort(20000 + i, Protocol.Tcp))]);
        return new RawBodies(
            Envelope(new DeploymentRequested(Guid.NewGuid(), id, now, specText, "bench", "bench"), "workers.validate"),
            Envelope(new DeploymentAccepted(Guid.NewGuid(), id, now, spec, "bench"), "workers.plan"),
            Envelope(new StartReplicas(Guid.NewGuid(), id, now, "host-0000", 1, now, spec, [.. Enumerable.Range(0, replicasPerCommand).Select(i => new ReplicaAssignment(i, ports))]), "host.host-0000"),
            Envelope(new ReplicaStarted(Guid.NewGuid(), id, now, "host-0000", spec.Name.Value, 1, 0, Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"), ports), "workers.track"),
            Envelope(new ReplicaHealthChanged(Guid.NewGuid(), id, now, "host-0000", spec.Name.Value, 1, 0, Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"), ReplicaHealth.Healthy, null), "workers.track"),
            Envelope(new DeploymentSucceeded(Guid.NewGuid(), id, now, spec.Name.Value, 1), "bench.throughput.outcomes"),
            Envelope(Heartbeat([]), "workers.inventory"),
            Envelope(Heartbeat(running), "workers.inventory"));
    }

    private static byte[] Envelope<T>(T message, string destination)
        where T : class => JsonSerializer.SerializeToUtf8Bytes(
        new
        {
            MessageId = Guid.NewGuid(),
            ConversationId = Guid.NewGuid(),
            SourceAddress = "rabbitmq://localhost/bench_raw_bus_abcdefghijklmnopqrstuvwxyz?temporary=true",
            DestinationAddress = $"rabbitmq://localhost/{destination}",
            MessageType = new[] { $"urn:message:Workers.Contracts.Messages:{typeof(T).Name}" },
            Message = message,
            SentTime = DateTimeOffset.UtcNow,
            Headers = new Dictionary<string, string>(),
            Host = new
            {
                MachineName = Environment.MachineName,
                ProcessName = "Workers.Bench",
                ProcessId = Environment.ProcessId,
                Assembly = "Workers.Bench",
                AssemblyVersion = "0.1.0.0",
                FrameworkVersion = Environment.Version.ToString(),
                MassTransitVersion = "8.5.12.0",
                OperatingSystemVersion = Environment.OSVersion.ToString(),
            },
        },
        Json);
}
