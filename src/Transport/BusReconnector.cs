using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Workers.Transport;

/// <summary>
/// Restarts the bus, and with it every connection and channel, when the broker keeps refusing publishes
/// (<see cref="RefusalStreak"/>). RabbitMQ 3.10 can refuse every publish of one channel to a quorum queue for good when
/// the channel's first publish to it came just after the queue's leader node died (measured: channels opened up to
/// about 100 ms after the SIGKILL of the leader's node were refused for as long as they lived; channels opened later
/// and channels in use before were not). MassTransit retries a refused publish on the same channel, so an agent whose
/// heartbeats hit this was silent until it stopped its replicas for a partition. A new channel is not refused.
/// </summary>
public sealed partial class BusReconnector(IBusControl bus, RefusedPublishes refusals, TimeProvider time, ILogger<BusReconnector> logger) : BackgroundService
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private int _reconnects;

    /// <summary>How many times the bus was restarted for refused publishes.</summary>
    public int Reconnects => Volatile.Read(ref _reconnects);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = new RestartBackoff();
        using var timer = new PeriodicTimer(CheckInterval, time);
        while (await timer.NextTickAsync(stoppingToken))
        {
            var now = time.GetUtcNow();
            if (!refusals.Streak.Persists(now))
            {
                backoff.Quiet(now);
                continue;
            }

            if (!backoff.Allows(now))
            {
                continue;
            }

            Reconnecting(logger, RefusalStreak.MinimumSpan);
            await RestartAsync(stoppingToken);
            refusals.Streak.Clear();
            Interlocked.Increment(ref _reconnects);
            backoff.Restarted(time.GetUtcNow());
            Reconnected(logger);
        }
    }

    private async Task RestartAsync(CancellationToken stoppingToken)
    {
        // Stopped before every start, not once: a start that fails on an endpoint the last stop left running ("The
        // receive endpoint was already started") and is then simply tried again leaves that endpoint consuming on the
        // stopped connection's pipeline (fault seed 1743167820). A stopped bus consumes nothing: start it again until
        // it starts, however long the broker takes.
        while (true)
        {
            try
            {
                await bus.StopAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                StopFailed(logger, e);
            }

            try
            {
                await bus.StartAsync(stoppingToken);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                StartFailed(logger, e, CheckInterval);
                await Task.Delay(CheckInterval, time, stoppingToken);
            }
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "The broker has refused publishes for more than {Span}: restarting the bus for new connections and channels")]
    private static partial void Reconnecting(ILogger logger, TimeSpan span);

    [LoggerMessage(2, LogLevel.Information, "The bus restarted after refused publishes")]
    private static partial void Reconnected(ILogger logger);

    [LoggerMessage(3, LogLevel.Warning, "Stopping the bus for refused publishes failed; starting it anyway")]
    private static partial void StopFailed(ILogger logger, Exception exception);

    [LoggerMessage(4, LogLevel.Warning, "Starting the bus again failed; stopping it and starting it again in {Interval}")]
    private static partial void StartFailed(ILogger logger, Exception exception, TimeSpan interval);
}
