using System.Collections.Concurrent;
using Workers.Contracts.Messages;
using Workers.HostAgent.Runtime;
using Workers.Transport;

namespace Workers.HostAgent.Agent;

/// <summary>
/// Judges the health of every running Workers container of this host and publishes each change to healthy or
/// unhealthy as <see cref="ReplicaHealthChanged"/>. A container with a check is probed every interval, the first time
/// one interval after it is found (as Docker does); one without a check is healthy once it has run for minReady. The
/// check and minReady come from the container's labels and the containers from Docker (listed at start and every
/// heartbeat interval, or handed over as they start), so an agent that restarts resumes judging what runs, from
/// <see cref="ReplicaHealth.Starting"/>.
/// </summary>
public sealed class HealthMonitor(IServiceScopeFactory scopes, IContainerRuntime runtime, HealthProbes probes, AgentOptions options, TimeProvider time, ILogger<HealthMonitor> logger)
    : BackgroundService
{
    /// <summary>The least a replica without a check waits before it is judged again.</summary>
    private static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(10);

    private readonly ConcurrentDictionary<string, Replica> _replicas = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private long _tracked;

    /// <summary>The verdict on a container; <see cref="HealthVerdict.Starting"/> for one not (or no longer) watched.</summary>
    public HealthVerdict Current(string containerId) =>
        _replicas.TryGetValue(containerId, out var replica) ? replica.Judge.Verdict : HealthVerdict.Starting;

    /// <summary>
    /// Starts watching a running container, unless watched already or not a replica by its labels.
    /// <paramref name="runningSince"/> starts the minReady clock of a replica without a check.
    /// </summary>
    public void Track(ManagedContainer container, DateTimeOffset runningSince)
    {
        ArgumentNullException.ThrowIfNull(container);
        if (_stopping.IsCancellationRequested || _replicas.ContainsKey(container.Id) || !ContainerLabels.TryReadReplica(container.Labels, out var labels))
        {
            return;
        }

        HealthCheckLabel? check = null;
        var unreadable = container.Labels.TryGetValue(ContainerLabels.Health, out var text) && !HealthCheckLabel.TryParse(text, out check);
        var minReady = ContainerLabels.ReadMinReady(container.Labels);
        var judge = new HealthJudge(check?.Retries ?? 1, minReady, time, passingSince: check is null && !unreadable ? runningSince : null);
        var replica = new Replica(container, labels, check, unreadable, minReady, runningSince, judge,
            CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token), Interlocked.Increment(ref _tracked));
        if (!_replicas.TryAdd(container.Id, replica))
        {
            replica.Stop.Dispose();
            return;
        }

        replica.Watching = Task.Run(() => WatchAsync(replica));
    }

    /// <summary>Stops watching a container that no longer runs; its verdict is forgotten.</summary>
    public void Forget(string containerId)
    {
        if (_replicas.TryRemove(containerId, out var replica))
        {
            replica.Stop.Cancel();
            replica.Stop.Dispose();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);
        await Task.WhenAll(_replicas.Values.Select(r => r.Watching)).WaitAsync(cancellationToken);
    }

    public override void Dispose()
    {
        foreach (var id in _replicas.Keys)
        {
            Forget(id);
        }

        _stopping.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var host = new Dictionary<string, string> { [ContainerLabels.Host] = options.HostId.Value };
        using var timer = new PeriodicTimer(options.HeartbeatInterval, time);
        do
        {
            try
            {
                var before = Interlocked.Read(ref _tracked);
                var running = (await runtime.ListAsync(host, stoppingToken)).Where(c => c.Running).ToDictionary(c => c.Id, StringComparer.Ordinal);
                foreach (var container in running.Values)
                {
                    Track(container, container.CreatedAt);
                }

                // Only what was watched before the listing began: a container handed over since may not be in it.
                foreach (var (id, replica) in _replicas)
                {
                    if (replica.Sequence <= before && !running.ContainsKey(id))
                    {
                        Forget(id);
                    }
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                AgentLog.HealthListingFailed(logger, e, options.HeartbeatInterval);
            }
        }
        while (await timer.NextTickAsync(stoppingToken));
    }

    private async Task WatchAsync(Replica replica)
    {
        var token = replica.Stop.Token;
        try
        {
            if (replica.Unreadable)
            {
                if (replica.Judge.Failed($"label {ContainerLabels.Health} is not a health check this agent can read"))
                {
                    await ReportAsync(replica, token);
                }
            }
            else if (replica.Check is not { } check)
            {
                // Without a check, running is passing: healthy once it has run for minReady. A timer may fire a
                // little before the wall clock says minReady is up, so wait again until the judge agrees.
                while (!replica.Judge.Passed())
                {
                    var wait = replica.RunningSince + replica.MinReady - time.GetUtcNow();
                    await Task.Delay(wait > TimeSpan.Zero ? wait + MinimumWait : MinimumWait, time, token);
                }

                await ReportAsync(replica, token);
            }
            else
            {
                using var timer = new PeriodicTimer(check.Interval, time);
                while (await timer.NextTickAsync(token))
                {
                    var result = await probes.RunAsync(check, replica.Container, token);
                    if (result.Passed ? replica.Judge.Passed() : replica.Judge.Failed(result.Reason!))
                    {
                        await ReportAsync(replica, token);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Forgotten, or the agent stops.
        }
    }

    private async Task ReportAsync(Replica replica, CancellationToken cancellationToken)
    {
        var (verdict, labels) = (replica.Judge.Verdict, replica.Labels);
        if (verdict.Health == ReplicaHealth.Healthy)
        {
            AgentLog.ReplicaHealthy(logger, labels.Name, labels.Revision, labels.Index, replica.Container.Id);
        }
        else
        {
            AgentLog.ReplicaUnhealthy(logger, labels.Name, labels.Revision, labels.Index, replica.Container.Id, verdict.Reason);
        }

        var changed = options.Sign(new ReplicaHealthChanged(Guid.NewGuid(), labels.DeploymentId, time.GetUtcNow(), options.HostId.Value,
            labels.Name, labels.Revision, labels.Index, replica.Container.Id, verdict.Health, verdict.Reason));
        try
        {
            using var scope = scopes.CreateScope();
            var publisher = scope.ServiceProvider.GetRequiredService<IAgentPublisher>();
            await BrokerCalls.BoundedAsync(token => publisher.PublishAsync(changed, token), BrokerCalls.ConfirmTimeout, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Judging goes on; the next heartbeat carries the verdict.
            AgentLog.HealthPublishFailed(logger, e, labels.Name, labels.Revision, labels.Index, verdict.Health);
        }
    }

    private sealed record Replica(
        ManagedContainer Container, ReplicaLabels Labels, HealthCheckLabel? Check, bool Unreadable, TimeSpan MinReady, DateTimeOffset RunningSince,
        HealthJudge Judge, CancellationTokenSource Stop, long Sequence)
    {
        public Task Watching { get; set; } = Task.CompletedTask;
    }
}
