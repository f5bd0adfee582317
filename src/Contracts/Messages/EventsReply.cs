namespace Workers.Contracts.Messages;

/// <summary>The answer to <see cref="GetEvents"/>.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The request's correlation id.</param>
/// <param name="Timestamp">When the store was read.</param>
/// <param name="Events">The events, oldest first.</param>
public sealed record EventsReply(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, IReadOnlyList<WorkersEvent> Events);
