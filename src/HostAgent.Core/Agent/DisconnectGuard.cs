using System.Collections.Concurrent;
using Workers.Contracts.Messages;
using Workers.HostAgent.Runtime;
using Workers.Transport;

namespace Workers.HostAgent.Agent;

/// <summary>
/// Stops this host's replicas when the agent has been cut off from the broker for
/// <see cref="AgentOptions.DisconnectStopAfter"/>, as Nomad's <c>disconnect.stop_on_client_after</c> does: by then the
/// functions have declared the host down and placed its replicas elsewhere, so a copy left running here would run twice
/// for as long as the partition lasts. The heartbeats tell it when the broker was last reached; once one gets through
/// again, each replica stopped for the partition is reported as <see cref="ReplicaStopped"/> and removed.
/// </summary>
/// <remarks>
/// <para>Containers are stopped, not removed: until the broker hears of them, the stopped containers with their labels
/// are what says which replicas this host gave up. Which of them were stopped for the partition is kept in memory only.
/// An agent that restarts meanwhile forgets it; its heartbeats then list those containers as exited, and the functions
/// stop and remove them as orphans (their replicas are lost or replaced by then).</para>
/// <para>Silence alone does not stop anything: the latest heartbeat must also have failed. A process that was suspended
/// (a laptop asleep, a paused VM) wakes to a long silence, but its next heartbeat decides.</para>
/// </remarks>
public sealed class DisconnectGuard(IServiceScopeFactory scopes, IContainerRuntime runtime, AgentOptions options, TimeProvider time, ILogger<DisconnectGuard> logger)
    : BackgroundService
{
    private readonly ConcurrentDictionary<string, byte> _stopped = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    private long _reachedTicks = time.GetUtcNow().UtcTicks;
    private int _lastFailed;
    private long _checks;

    /// <summary>When a heartbeat's publish last completed (the agent's start until the first one does).</summary>
    public DateTimeOffset LastReached => new(Interlocked.Read(ref _reachedTicks), TimeSpan.Zero);

    /// <summary>The containers stopped for the partition that are not yet reported and removed.</summary>
    internal IReadOnlyCollection<string> StoppedForPartition => [.. _stopped.Keys];

    /// <summary>How many checks have run to the end (tests wait on it).</summary>
    internal long Checks => Interlocked.Read(ref _checks);

    /// <summary>A heartbeat's publish completed: the broker is reachable now.</summary>
    public void Reached()
    {
        Interlocked.Exchange(ref _reachedTicks, time.GetUtcNow().UtcTicks);
        Volatile.Write(ref _lastFailed, 0);
        if (!_stopped.IsEmpty)
        {
            Wake();
        }
    }

    /// <summary>A heartbeat did not get through.</summary>
    public void Missed()
    {
        Volatile.Write(ref _lastFailed, 1);
        Wake();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.DisconnectStopAfter is not { } stopAfter)
        {
            return;
        }

        var woken = _wake.WaitAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CheckAsync(stopAfter, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Docker or the broker failed this time; the next heartbeat wakes the guard to try again.
                AgentLog.DisconnectGuardFailed(logger, e, options.HeartbeatInterval);
            }

            Interlocked.Increment(ref _checks);

            // Until the deadline, unless a heartbeat says something first; past it, at the next heartbeat (or interval).
            var untilDue = LastReached + stopAfter - time.GetUtcNow();
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var elapsed = Task.Delay(untilDue > TimeSpan.Zero ? untilDue : options.HeartbeatInterval, time, wait.Token);
            if (await Task.WhenAny(elapsed, woken) == woken)
            {
                await woken;
                woken = _wake.WaitAsync(stoppingToken);
            }

            await wait.CancelAsync();
        }
    }

    private async Task CheckAsync(TimeSpan stopAfter, CancellationToken cancellationToken)
    {
        var silence = time.GetUtcNow() - LastReached;
        var failing = Volatile.Read(ref _lastFailed) == 1;
        if (silence >= stopAfter && failing)
        {
            await StopAllAsync(silence, cancellationToken);
        }
        else if (silence < stopAfter && !failing && !_stopped.IsEmpty)
        {
            // Reached since the stop (stops happen only past the deadline): the broker may hear of them now.
            await ReportAsync(cancellationToken);
        }
    }

    private async Task StopAllAsync(TimeSpan silence, CancellationToken cancellationToken)
    {
        // Each check stops what runs now, so a replica a command started after the first stop is stopped too.
        var running = new List<(ManagedContainer Container, ReplicaLabels Replica)>();
        foreach (var container in await runtime.ListAsync(HostLabel(), cancellationToken))
        {
            if (container.Running && ContainerLabels.TryReadReplica(container.Labels, out var replica))
            {
                running.Add((container, replica));
            }
        }

        if (running.Count == 0)
        {
            return;
        }

        AgentLog.DisconnectStopping(logger, options.HostId.Value, silence, running.Count);
        await Task.WhenAll(running.Select(async r =>
        {
            await runtime.StopAsync(r.Container.Id, options.StopGrace, cancellationToken);
            _stopped[r.Container.Id] = 0;
            AgentLog.DisconnectStopped(logger, r.Replica.Name, r.Replica.Revision, r.Replica.Index, r.Container.Id);
        }));
    }

    private async Task ReportAsync(CancellationToken cancellationToken)
    {
        var now = (await runtime.ListAsync(HostLabel(), cancellationToken)).ToDictionary(c => c.Id, StringComparer.Ordinal);
        foreach (var id in _stopped.Keys)
        {
            // Gone (removed by the functions' stop of an orphan, which reported it) or running again (a start
            // command brought it back): no longer this guard's to report.
            if (!now.TryGetValue(id, out var container) || container.Running || !ContainerLabels.TryReadReplica(container.Labels, out var replica))
            {
                _stopped.TryRemove(id, out _);
                continue;
            }

            var stopped = options.Sign(new ReplicaStopped(Guid.NewGuid(), replica.DeploymentId, time.GetUtcNow(), options.HostId.Value, replica.Name, replica.Revision, replica.Index));
            using (var scope = scopes.CreateScope())
            {
                var publisher = scope.ServiceProvider.GetRequiredService<IAgentPublisher>();
                await BrokerCalls.BoundedAsync(token => publisher.PublishAsync(stopped, token), BrokerCalls.ConfirmTimeout, cancellationToken);
            }

            // Removed only once reported: a failure above keeps it for the next heartbeat that gets through.
            await runtime.RemoveAsync(id, options.StopGrace, cancellationToken);
            _stopped.TryRemove(id, out _);
            AgentLog.DisconnectReported(logger, replica.Name, replica.Revision, replica.Index, id);
        }
    }

    /// <summary>One pending wake is enough: the check looks at the state as it is then.</summary>
    private void Wake()
    {
        if (options.DisconnectStopAfter is not null && _wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    private Dictionary<string, string> HostLabel() => new(StringComparer.Ordinal) { [ContainerLabels.Host] = options.HostId.Value };
}
