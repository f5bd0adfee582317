using Microsoft.Extensions.Logging;

namespace Workers.HostAgent.Amqp;

internal static partial class AmqpLog
{
    [LoggerMessage(100, LogLevel.Warning, "Waiting for the broker at {Broker}: {Reason}; trying again in {Delay}")]
    public static partial void ConnectFailed(ILogger logger, string broker, string reason, TimeSpan delay);

    [LoggerMessage(101, LogLevel.Information, "Connected to the broker at {Broker}")]
    public static partial void Connected(ILogger logger, string broker);

    [LoggerMessage(102, LogLevel.Warning, "Lost the connection to the broker: {Reason}; reconnecting")]
    public static partial void ConnectionLost(ILogger logger, string reason);

    [LoggerMessage(103, LogLevel.Information, "The broker connection is back")]
    public static partial void ConnectionRecovered(ILogger logger);

    [LoggerMessage(104, LogLevel.Information, "Consuming {Queue}: {Partitions} deployments at once, prefetch {Prefetch}")]
    public static partial void Consuming(ILogger logger, string queue, int partitions, ushort prefetch);

    [LoggerMessage(105, LogLevel.Warning, "{MessageType} {MessageId} failed (attempt {Attempt}), trying again in {Delay}")]
    public static partial void Retrying(ILogger logger, Exception exception, string messageType, string? messageId, int attempt, TimeSpan delay);

    [LoggerMessage(106, LogLevel.Error, "{MessageType} {MessageId} failed after {Retries} retries: moved to {Queue}")]
    public static partial void MovedToError(ILogger logger, Exception exception, string messageType, string? messageId, int retries, string queue);

    [LoggerMessage(107, LogLevel.Warning, "A message of no type this agent handles ({MessageTypes}) moved to {Queue}")]
    public static partial void Skipped(ILogger logger, string messageTypes, string queue);

    [LoggerMessage(108, LogLevel.Warning, "Delivery {DeliveryTag} could not be acknowledged (the broker delivers it again): {Reason}")]
    public static partial void AckFailed(ILogger logger, ulong deliveryTag, string reason);

    [LoggerMessage(109, LogLevel.Warning, "Delivery {DeliveryTag} could not be moved to {Queue} (the broker delivers it again)")]
    public static partial void MoveFailed(ILogger logger, Exception exception, ulong deliveryTag, string queue);

    [LoggerMessage(111, LogLevel.Information, "The broker connection did not close cleanly on shutdown: {Reason}")]
    public static partial void CloseFailed(ILogger logger, string reason);

    [LoggerMessage(110, LogLevel.Warning, "{MessageType} {MessageId} failed after the connection it came on was lost: the broker delivers it again once it is back")]
    public static partial void HandedBack(ILogger logger, Exception exception, string messageType, string? messageId);
}
