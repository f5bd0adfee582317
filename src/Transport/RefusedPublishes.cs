using MassTransit;
using BrokerNack = RabbitMQ.Client.Exceptions.PublishException;

namespace Workers.Transport;

/// <summary>
/// Counts the publishes and sends the broker refused (a negative publisher confirm, not a return) into a
/// <see cref="RefusalStreak"/>. MassTransit retries such a publish on the same channel, so a channel the broker
/// keeps refusing is never replaced by MassTransit itself; <see cref="BusReconnector"/> replaces it.
/// </summary>
public sealed class RefusedPublishes(TimeProvider time) : IPublishObserver, ISendObserver
{
    public RefusalStreak Streak { get; } = new();

    public Task PreSend<T>(SendContext<T> context) where T : class => Task.CompletedTask;

    public Task PostSend<T>(SendContext<T> context) where T : class => Task.CompletedTask;

    public Task SendFault<T>(SendContext<T> context, Exception exception) where T : class => Observe(exception);

    public Task PrePublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    public Task PostPublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Observe(exception);

    private Task Observe(Exception exception)
    {
        if (IsRefusal(exception))
        {
            Streak.Refused(time.GetUtcNow());
        }

        return Task.CompletedTask;
    }

    /// <summary>A nack anywhere in the chain: MassTransit wraps RabbitMQ.Client's in its own connection exception.</summary>
    public static bool IsRefusal(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is BrokerNack { IsReturn: false })
            {
                return true;
            }
        }

        return false;
    }
}
