using MassTransit;
using BrokerNack = RabbitMQ.Client.Exceptions.PublishException;

namespace Workers.Transport;

/// <summary>
/// Counts the publishes and sends the broker refused (a negative publisher confirm, not a return) into a
/// <see cref="RefusalStreak"/>. MassTransit retries such a publish on the same channel, so a channel the broker
/// keeps refusing is never replaced by MassTransit itself; <see cref="BusReconnector"/> replaces it. Consumers that
/// fail because their endpoint's publishing side belongs to a stopped connection count the same way.
/// </summary>
public sealed class RefusedPublishes(TimeProvider time) : IPublishObserver, ISendObserver, IReceiveObserver
{
    public RefusalStreak Streak { get; } = new();

    public Task PreSend<T>(SendContext<T> context) where T : class => Task.CompletedTask;

    public Task PostSend<T>(SendContext<T> context) where T : class => Task.CompletedTask;

    public Task SendFault<T>(SendContext<T> context, Exception exception) where T : class => Observe(exception);

    public Task PrePublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    public Task PostPublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Observe(exception);

    public Task PreReceive(ReceiveContext context) => Task.CompletedTask;

    public Task PostReceive(ReceiveContext context) => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) where T : class => Task.CompletedTask;

    public Task ReceiveFault(ReceiveContext context, Exception exception) => Task.CompletedTask;

    /// <summary>
    /// A consumer whose results could not even be handed to the transport, because the publishing side of its endpoint
    /// belongs to a connection that was stopped: seen after a restart of the bus left a receive endpoint consuming on
    /// its old pipeline (fault seed 1743167820: an agent took its commands again and again, started and stopped the
    /// containers, and could publish no result, while its heartbeats, published by the bus, got through). Counted as
    /// refusals, so the bus is restarted again. A receive observer: a consume observer is told of a consumer's
    /// cancellation only as MassTransit's ConsumerCanceledException, without the cause.
    /// </summary>
    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.CancellationToken.IsCancellationRequested && IsStoppedTransport(exception))
        {
            Streak.Refused(time.GetUtcNow());
        }

        return Task.CompletedTask;
    }

    /// <summary>MassTransit's supervisor of a stopped connection refusing to make a transport (its own words).</summary>
    public static bool IsStoppedTransport(Exception? exception) =>
        Failures.Chain(exception).Any(e => e is OperationCanceledException && e.Message.StartsWith("The agent is stopped or has been stopped", StringComparison.Ordinal));

    private Task Observe(Exception exception)
    {
        if (IsRefusal(exception) || IsStoppedTransport(exception))
        {
            Streak.Refused(time.GetUtcNow());
        }

        return Task.CompletedTask;
    }

    /// <summary>A nack anywhere in the chain: MassTransit wraps RabbitMQ.Client's in its own connection exception.</summary>
    public static bool IsRefusal(Exception? exception) => Failures.Chain(exception).Any(e => e is BrokerNack { IsReturn: false });
}
