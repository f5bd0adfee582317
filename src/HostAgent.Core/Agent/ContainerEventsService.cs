using Workers.HostAgent.Runtime;

namespace Workers.HostAgent.Agent;

/// <summary>
/// Watches Docker events for this host's containers: when one dies or disappears outside Workers, the next heartbeat
/// goes out at once, so the functions notice within moments rather than at the next tick and replace the replica, and
/// its health is no longer judged.
/// </summary>
public sealed partial class ContainerEventsService(IContainerRuntime runtime, HeartbeatService heartbeats, HealthMonitor health, AgentOptions options, TimeProvider time, ILogger<ContainerEventsService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var labels = new Dictionary<string, string> { [ContainerLabels.Host] = options.HostId.Value };
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await runtime.WatchExitsAsync(labels, id =>
                {
                    health.Forget(id);
                    heartbeats.Wake();
                    return Task.CompletedTask;
                }, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The engine restarted, the stream broke or the client timed out (a cancellation too); heartbeats still
                // report exits, so watch again shortly.
                WatchBroken(logger, e, options.HeartbeatInterval);
                await Task.Delay(options.HeartbeatInterval, time, stoppingToken);
            }
        }
    }

    [LoggerMessage(6, LogLevel.Warning, "Docker event stream broke; watching again in {Interval}")]
    private static partial void WatchBroken(ILogger logger, Exception exception, TimeSpan interval);
}
