using System.Diagnostics;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Logging;
using Workers.Telemetry;

namespace Workers.Transport.ServiceBus;

/// <summary>Handles one Workers message read from Service Bus (a pure handler, plus carrying out what it returns).</summary>
public delegate Task MessageHandler(object message, ServiceBusReceivedMessage received, CancellationToken cancellationToken);

/// <summary>How a message was settled.</summary>
public enum Settlement
{
    Completed,
    Abandoned,
    DeadLettered,
}

/// <summary>Thrown by a handler given a message type it does not handle: a subscription filter is wrong, and retrying cannot help.</summary>
public sealed class MessageNotHandledException(Type messageType) : Exception($"no handler for {messageType.FullName}")
{
    public Type MessageType { get; } = messageType;
}

/// <summary>
/// The settlement policy for every Workers subscription, outside the handlers:
/// <list type="bullet">
/// <item>a message delivered more than <see cref="ServiceBusSettings.MaxDeliveries"/> times is dead-lettered unread
/// (<c>MaxDeliveriesExceeded</c>): a handler that kills its process never gets to fail politely;</item>
/// <item>a body that is not a Workers contract (wrong content type, unknown or missing <c>messageType</c>, JSON that
/// does not read, a spec that is not valid) is dead-lettered without reaching the handler;</item>
/// <item>the handler succeeds: completed; it throws: abandoned for another delivery (the broker's lock and delivery
/// count are the back-off), or dead-lettered with the failure (<c>HandlerFailed</c>) on the last allowed delivery;
/// no handler for the type: dead-lettered at once (<c>NoHandler</c>).</item>
/// </list>
/// </summary>
public sealed class ServiceBusPump(ServiceBusSettings settings, ILogger<ServiceBusPump> logger)
{
    public async Task<Settlement> HandleAsync(ServiceBusReceivedMessage message, IMessageSettlement settlement, MessageHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(settlement);
        ArgumentNullException.ThrowIfNull(handler);
        if (message.DeliveryCount > settings.MaxDeliveries)
        {
            return await DeadLetterAsync(message, settlement, DeadLetterReasons.MaxDeliveriesExceeded, $"delivered {message.DeliveryCount} times; at most {settings.MaxDeliveries} are allowed", cancellationToken);
        }

        var read = ServiceBusEnvelope.Read(message);
        if (read.Message is null)
        {
            return await DeadLetterAsync(message, settlement, read.Reason!, read.Description!, cancellationToken);
        }

        // The consumer span continues the sender's trace (ServiceBusEnvelope.TraceParent); the handler's spans are its children.
        using var activity = WorkersTelemetry.Source.HasListeners()
            ? WorkersTelemetry.Source.StartActivity($"{read.Message.GetType().Name} receive", ActivityKind.Consumer, ServiceBusEnvelope.TraceParent(message))
            : null;
        try
        {
            await handler(read.Message, message, cancellationToken);
        }
        catch (MessageNotHandledException e)
        {
            return await DeadLetterAsync(message, settlement, DeadLetterReasons.NoHandler, e.Message, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (message.DeliveryCount >= settings.MaxDeliveries)
            {
                return await DeadLetterAsync(message, settlement, DeadLetterReasons.HandlerFailed, ServiceBusEnvelope.Truncate($"{e.GetType().FullName}: {e.Message}", 1000), cancellationToken);
            }

            ServiceBusLog.Abandoned(logger, e, message.MessageId, MessageType(message), message.DeliveryCount);
            await settlement.AbandonAsync(message, new Dictionary<string, object> { [ServiceBusTopology.LastErrorProperty] = e.GetType().FullName ?? e.GetType().Name }, cancellationToken);
            return Settlement.Abandoned;
        }
        catch (OperationCanceledException)
        {
            // Shutting down: hand the message back now rather than let its lock run out.
            await settlement.AbandonAsync(message, new Dictionary<string, object>(), CancellationToken.None);
            return Settlement.Abandoned;
        }

        await settlement.CompleteAsync(message, cancellationToken);
        return Settlement.Completed;
    }

    private async Task<Settlement> DeadLetterAsync(ServiceBusReceivedMessage message, IMessageSettlement settlement, string reason, string description, CancellationToken cancellationToken)
    {
        ServiceBusLog.DeadLettered(logger, message.MessageId, MessageType(message), message.DeliveryCount, reason, description);
        await settlement.DeadLetterAsync(message, reason, description, cancellationToken);
        return Settlement.DeadLettered;
    }

    private static string MessageType(ServiceBusReceivedMessage message) =>
        message.ApplicationProperties.TryGetValue(ServiceBusTopology.MessageTypeProperty, out var type) && type is string name ? ServiceBusEnvelope.Truncate(name, 200) : "?";
}
