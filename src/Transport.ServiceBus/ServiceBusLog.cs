using Microsoft.Extensions.Logging;

namespace Workers.Transport.ServiceBus;

internal static partial class ServiceBusLog
{
    [LoggerMessage(1, LogLevel.Warning, "Dead-lettered {MessageId} ({MessageType}) after {DeliveryCount} deliveries: {Reason}: {Description}")]
    public static partial void DeadLettered(ILogger logger, string messageId, string messageType, int deliveryCount, string reason, string description);

    [LoggerMessage(2, LogLevel.Warning, "Handling {MessageId} ({MessageType}) failed on delivery {DeliveryCount}; abandoned for another delivery")]
    public static partial void Abandoned(ILogger logger, Exception exception, string messageId, string messageType, int deliveryCount);

    [LoggerMessage(3, LogLevel.Error, "Service Bus error on {EntityPath} ({ErrorSource})")]
    public static partial void ProcessorError(ILogger logger, Exception exception, string entityPath, string errorSource);

    [LoggerMessage(4, LogLevel.Information, "Consuming subscription {Subscription} of topic {Topic} on {Namespace}")]
    public static partial void Consuming(ILogger logger, string subscription, string topic, string @namespace);
}
