using Azure.Messaging.ServiceBus;

namespace Workers.Transport.ServiceBus;

/// <summary>
/// Settles one received message. The pump's policy does not care whether a <see cref="ServiceBusProcessor"/>, a plain
/// <see cref="ServiceBusReceiver"/> or (when its package is available) the Functions trigger's message actions delivered it.
/// </summary>
public interface IMessageSettlement
{
    Task CompleteAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken);

    Task AbandonAsync(ServiceBusReceivedMessage message, IDictionary<string, object> propertiesToModify, CancellationToken cancellationToken);

    Task DeadLetterAsync(ServiceBusReceivedMessage message, string reason, string description, CancellationToken cancellationToken);
}

/// <summary>Settles through the receiver that received the message.</summary>
public sealed class ReceiverSettlement(ServiceBusReceiver receiver) : IMessageSettlement
{
    public Task CompleteAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken) =>
        receiver.CompleteMessageAsync(message, cancellationToken);

    public Task AbandonAsync(ServiceBusReceivedMessage message, IDictionary<string, object> propertiesToModify, CancellationToken cancellationToken) =>
        receiver.AbandonMessageAsync(message, propertiesToModify, cancellationToken);

    public Task DeadLetterAsync(ServiceBusReceivedMessage message, string reason, string description, CancellationToken cancellationToken) =>
        receiver.DeadLetterMessageAsync(message, reason, description, cancellationToken);
}

/// <summary>Settles through a <see cref="ServiceBusProcessor"/>'s event arguments.</summary>
public sealed class ProcessorSettlement(ProcessMessageEventArgs args) : IMessageSettlement
{
    public Task CompleteAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken) =>
        args.CompleteMessageAsync(message, cancellationToken);

    public Task AbandonAsync(ServiceBusReceivedMessage message, IDictionary<string, object> propertiesToModify, CancellationToken cancellationToken) =>
        args.AbandonMessageAsync(message, propertiesToModify, cancellationToken);

    public Task DeadLetterAsync(ServiceBusReceivedMessage message, string reason, string description, CancellationToken cancellationToken) =>
        args.DeadLetterMessageAsync(message, reason, description, cancellationToken);
}
