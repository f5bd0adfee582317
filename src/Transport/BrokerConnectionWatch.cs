using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Workers.Transport;

/// <summary>
/// One line when a long-running process loses the broker, and one when it has it back, in place of the library's own
/// account (a warning with a stack trace on every reconnect attempt: one broker restart wrote 506 such lines to the
/// hosts' logs). It reads the bus's health, which MassTransit keeps from its receive endpoints: a connection lost faults
/// them, a reconnect makes them ready again. A process that cannot reach the broker when it starts says so once.
/// </summary>
public sealed partial class BrokerConnectionWatch(IBusControl bus, Broker broker, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<BrokerConnectionWatch> logger) : BackgroundService
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a process that is starting may take to connect before it says it is waiting for the broker.</summary>
    public static readonly TimeSpan StartGrace = TimeSpan.FromSeconds(5);

    private readonly string _where = string.Join(",", broker.Nodes);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = time.GetUtcNow();
        var state = State.Starting;
        var lostAt = started;
        using var timer = new PeriodicTimer(CheckInterval, time);

        // The process stopping stops the bus first (this service was started first, so it stops last): a bus stopped
        // on purpose is not a lost broker.
        while (await timer.NextTickAsync(stoppingToken) && !lifetime.ApplicationStopping.IsCancellationRequested)
        {
            var health = bus.CheckHealth();
            var now = time.GetUtcNow();
            var connected = health.Status == BusHealthStatus.Healthy;
            switch (state)
            {
                case State.Starting or State.Waiting when connected:
                    Connected(logger, _where, now - started);
                    state = State.Connected;
                    break;
                case State.Starting when now - started >= StartGrace:
                    Waiting(logger, _where, Reason(health));
                    state = State.Waiting;
                    break;
                case State.Connected when !connected:
                    Lost(logger, _where, Reason(health));
                    (state, lostAt) = (State.Lost, now);
                    break;
                case State.Lost when connected:
                    Back(logger, _where, now - lostAt);
                    state = State.Connected;
                    break;
            }
        }
    }

    /// <summary>The innermost cause the bus's health names (for a refused connection, the socket's words), on one line.</summary>
    public static string Reason(BusHealthResult health)
    {
        ArgumentNullException.ThrowIfNull(health);
        var exception = health.Exception ?? health.Endpoints.Values.Select(e => e.Exception).FirstOrDefault(e => e is not null);
        var reason = (exception is null ? health.Description.ReplaceLineEndings(" ") : Failures.Innermost(exception)).Trim();
        return reason.Length <= 200 ? reason : string.Concat(reason.AsSpan(0, 199), "…");
    }

    private enum State
    {
        Starting,
        Waiting,
        Connected,
        Lost,
    }

    [LoggerMessage(1, LogLevel.Information, "Connected to the broker at {Broker} after {Elapsed}")]
    private static partial void Connected(ILogger logger, string broker, TimeSpan elapsed);

    [LoggerMessage(2, LogLevel.Warning, "Waiting for the broker at {Broker}: {Reason}")]
    private static partial void Waiting(ILogger logger, string broker, string reason);

    [LoggerMessage(3, LogLevel.Warning, "Lost the connection to the broker at {Broker}: {Reason}; reconnecting")]
    private static partial void Lost(ILogger logger, string broker, string reason);

    [LoggerMessage(4, LogLevel.Information, "The connection to the broker at {Broker} is back after {Downtime}")]
    private static partial void Back(ILogger logger, string broker, TimeSpan downtime);
}
