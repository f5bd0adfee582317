using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Workers.Transport;

namespace Workers.HostAgent.Amqp;

/// <summary>
/// The agent's one connection to RabbitMQ, made on first use: any node of <see cref="Broker.Nodes"/> that answers,
/// retried with back-off for as long as the broker takes (an agent started while the broker is down waits for it).
/// Once made, RabbitMQ.Client's automatic recovery reconnects it, to another node of a cluster if need be, and
/// re-declares what was declared on it and re-registers its consumers (topology recovery).
/// </summary>
public sealed class AmqpAgentConnection(Broker broker, string clientName, ILogger<AmqpAgentConnection> logger) : IAsyncDisposable
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestDelay = TimeSpan.FromSeconds(10);
    /// <summary>How long closing a channel or the connection is asked to wait for the broker's answer.</summary>
    internal static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;

    public Broker Broker => broker;

    /// <summary>
    /// The address MassTransit gives an entity of this broker: <c>rabbitmq://host:port/vhost/name</c>, without the
    /// default port or the default virtual host.
    /// </summary>
    public Uri Address(string entity)
    {
        var port = broker.Port == 5672 || (broker.Tls && broker.Port == 5671) ? string.Empty : $":{broker.Port}";
        var scheme = broker.Tls ? "rabbitmqs" : "rabbitmq";
        var vhost = broker.VirtualHost == "/" ? string.Empty : $"{Uri.EscapeDataString(broker.VirtualHost)}/";
        return new Uri($"{scheme}://{new BrokerNode(broker.Host, broker.Port).Host}{port}/{vhost}{entity}");
    }

    public async Task<IConnection> GetAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _connection) is { } made)
        {
            return made;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_connection is not null)
            {
                return _connection;
            }

            var factory = broker.ConnectionFactory(clientName);
            factory.AutomaticRecoveryEnabled = true;
            factory.TopologyRecoveryEnabled = true;
            factory.NetworkRecoveryInterval = TimeSpan.FromSeconds(2);
            var delay = FirstDelay;
            while (true)
            {
                try
                {
                    var connection = await broker.ConnectAsync(factory, cancellationToken);
                    connection.ConnectionShutdownAsync += OnShutdownAsync;
                    connection.RecoverySucceededAsync += OnRecoveredAsync;
                    AmqpLog.Connected(logger, broker.ToString());
                    Volatile.Write(ref _connection, connection);
                    return connection;
                }
                catch (Exception e) when (e is RabbitMQ.Client.Exceptions.BrokerUnreachableException or IOException or TimeoutException)
                {
                    AmqpLog.ConnectFailed(logger, broker.ToString(), e.GetBaseException().Message, delay);
                    await Task.Delay(delay, cancellationToken);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestDelay.Ticks));
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="close"/> (closing or disposing a channel or the connection) for at most
    /// <see cref="CloseTimeout"/>: RabbitMQ.Client waits out its own continuation and close timeouts (about 50 s
    /// together with the broker paused) whatever token or timeout it is given. Past the bound the close is left to end
    /// on its own and <see cref="TimeoutException"/> is thrown (<see cref="IsGone"/> covers it).
    /// </summary>
    internal static async Task CloseBoundedAsync(Func<Task> close)
    {
        ArgumentNullException.ThrowIfNull(close);
        var closing = close();
        try
        {
            await closing.WaitAsync(CloseTimeout);
        }
        catch (TimeoutException)
        {
            _ = closing.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw;
        }
    }

    /// <summary>What closing a channel or a connection throws when the broker is gone or slow to answer.</summary>
    internal static bool IsGone(Exception exception) =>
        exception is OperationCanceledException or AlreadyClosedException or OperationInterruptedException or IOException or TimeoutException or ObjectDisposedException;

    public async ValueTask DisposeAsync()
    {
        if (_connection is { } connection)
        {
            try
            {
                // Never a failure of the host's shutdown: a broker that is gone or frozen answers no close, and the
                // connection goes away with the process either way.
                await CloseBoundedAsync(async () =>
                {
                    await connection.CloseAsync(CloseTimeout);
                    await connection.DisposeAsync();
                });
            }
            catch (Exception e) when (IsGone(e))
            {
                AmqpLog.CloseFailed(logger, e.Message);
            }
        }

        _gate.Dispose();
    }

    private Task OnShutdownAsync(object sender, ShutdownEventArgs args)
    {
        if (args.Initiator != ShutdownInitiator.Application)
        {
            AmqpLog.ConnectionLost(logger, args.ReplyText);
        }

        return Task.CompletedTask;
    }

    private Task OnRecoveredAsync(object sender, AsyncEventArgs args)
    {
        AmqpLog.ConnectionRecovered(logger);
        return Task.CompletedTask;
    }
}
