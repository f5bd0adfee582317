using System.Globalization;
using Workers.Contracts.Messages;
using Workers.Contracts.Versioning;
using Workers.HostAgent.Runtime;
using Workers.Transport;

namespace Workers.HostAgent.Agent;

/// <summary>
/// Publishes the host's heartbeat now and then every interval: real capacity, the replicas Docker runs for this host
/// (read from container labels, so nothing is kept in memory) with their health as last judged, and every host port
/// something listens on. Whether each one got through is what tells <see cref="DisconnectGuard"/> the broker is reached.
/// </summary>
public sealed class HeartbeatService(
    IServiceScopeFactory scopes, IContainerRuntime runtime, ListeningPorts ports, HealthMonitor health, DisconnectGuard guard, AgentOptions options, TimeProvider time, ILogger<HeartbeatService> logger)
    : BackgroundService
{
    /// <summary>
    /// How long the engine's capacity (CPUs and memory) is reused. It does not change while the host runs, and asking
    /// for it (Docker's <c>GET /info</c>) is the costliest call of a heartbeat for both the agent and the engine.
    /// </summary>
    public static readonly TimeSpan CapacityLifetime = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The least time a heartbeat's publish is given. Beyond its interval a heartbeat is stale and the next one is due:
    /// a publish that never completes (a confirm lost in a broker restart) must not end the heartbeats.
    /// </summary>
    public static readonly TimeSpan MinimumPublishBound = TimeSpan.FromSeconds(1);

    private TimeSpan PublishBound => options.HeartbeatInterval > MinimumPublishBound ? options.HeartbeatInterval : MinimumPublishBound;

    /// <summary>This agent's build, which every heartbeat carries.</summary>
    public static readonly string AgentVersion = BuildVersion.Of(typeof(HeartbeatService).Assembly);

    private readonly Guid _session = Guid.NewGuid();
    private readonly WakeSignal _wake = new();
    private (RuntimeCapacity Capacity, DateTimeOffset ReadAt)? _capacity;

    /// <summary>Sends the next heartbeat now rather than at the next tick (a container exited, say).</summary>
    public void Wake() => _wake.Wake();

    /// <summary>Reads the host as it is now.</summary>
    public async Task<HostHeartbeat> ReadAsync(CancellationToken cancellationToken)
    {
        var capacity = await CapacityAsync(cancellationToken);

        // Stamped before the containers are read, not after: the functions take a replica the store has running and a
        // heartbeat shows stopped for exited only when the heartbeat is newer than the replica's start. Stamped after a
        // slow read, a list taken mid-start (created, not yet running) would pass for newer, and a healthy replica
        // would be replaced (seen under load: a fixed host port rollout test failed on "its container exited").
        var takenAt = time.GetUtcNow();
        var containers = await runtime.ListAsync(new Dictionary<string, string> { [ContainerLabels.Host] = options.HostId.Value }, cancellationToken);
        var running = containers.Where(c => c.Running).ToList();
        var replicas = containers.Select(c =>
        {
            var verdict = health.Current(c.Id);
            return new RunningReplica(
                c.Labels.GetValueOrDefault(ContainerLabels.Deployment, string.Empty),
                Number(c.Labels, ContainerLabels.Revision),
                (int)Number(c.Labels, ContainerLabels.Replica),
                c.Id,
                c.Running,
                c.CreatedAt,
                verdict.Health,
                verdict.Reason);
        }).ToList();
        var taken = ports.Taken(options.BindAddress)
            .Select(p => new HostPort(p.Port, p.Protocol == "udp" ? Contracts.Spec.Protocol.Udp : Contracts.Spec.Protocol.Tcp))
            .OrderBy(p => p.Port)
            .ToList();
        return options.Sign(new HostHeartbeat(
            Guid.NewGuid(),
            _session,
            takenAt,
            options.HostId.Value,
            options.Labels,
            options.BindAddress,
            capacity.CpuMillicores,
            capacity.MemoryBytes,
            capacity.CpuMillicores - running.Sum(c => Number(c.Labels, ContainerLabels.CpuMillicores)),
            capacity.MemoryBytes - running.Sum(c => Number(c.Labels, ContainerLabels.MemoryBytes)),
            replicas,
            taken,
            options.Containers.Allowances(),
            options.Keys.Identity) { AgentVersion = AgentVersion });
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        AgentLog.Started(logger, options.HostId.Value, Transport.Queues.Host(options.HostId.Value), options.BindAddress);
        using var timer = new PeriodicTimer(options.HeartbeatInterval, time);
        var tick = timer.NextTickAsync(stoppingToken).AsTask();
        var missed = 0;
        do
        {
            try
            {
                var heartbeat = await ReadAsync(stoppingToken);
                using var scope = scopes.CreateScope();
                var publisher = scope.ServiceProvider.GetRequiredService<IAgentPublisher>();
                await BrokerCalls.BoundedAsync(token => publisher.PublishAsync(heartbeat, token), PublishBound, stoppingToken);
                guard.Reached();
                if (missed > 0)
                {
                    AgentLog.HeartbeatsBack(logger, options.HostId.Value, missed);
                    missed = 0;
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // A missed heartbeat is what the deadline on the other side is for; the next tick tries again. A Docker
                // call that timed out throws a cancellation too: only the host's own shutdown may end this loop. One
                // line says so, and one when they get through again: not a stack trace every interval of an outage.
                if (missed++ == 0)
                {
                    AgentLog.HeartbeatFailed(logger, options.HostId.Value, Failures.Innermost(e), options.HeartbeatInterval);
                }
                else
                {
                    AgentLog.HeartbeatFailedAgain(logger, e, options.HostId.Value);
                }

                guard.Missed();
            }
        }
        while (await NextAsync());

        async Task<bool> NextAsync()
        {
            var woken = _wake.WaitAsync(stoppingToken);
            if (await Task.WhenAny(tick, woken) == tick)
            {
                var more = await tick;
                tick = timer.NextTickAsync(stoppingToken).AsTask();
                return more;
            }

            await woken;
            return true;
        }
    }

    private async Task<RuntimeCapacity> CapacityAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_capacity is not { } known || now - known.ReadAt >= CapacityLifetime)
        {
            known = (await runtime.GetCapacityAsync(cancellationToken), now);
            _capacity = known;
        }

        return known.Capacity;
    }

    private static long Number(IReadOnlyDictionary<string, string> labels, string key) =>
        labels.TryGetValue(key, out var text) && long.TryParse(text, CultureInfo.InvariantCulture, out var value) ? value : 0;
}
