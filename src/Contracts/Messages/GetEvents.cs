namespace Workers.Contracts.Messages;

/// <summary>Asks for the event history, oldest first. Answered by <see cref="EventsReply"/>.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">A fresh id.</param>
/// <param name="Timestamp">When it was asked.</param>
/// <param name="Name">Only the events of this deployment (and none of hosts), or null for all.</param>
/// <param name="After">Only events with a greater sequence (to follow on from the last one seen), or null.</param>
/// <param name="Since">Only events at or after this moment, or null.</param>
/// <param name="Limit">At most this many, the newest of those that match (1 to 1000).</param>
public sealed record GetEvents(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string? Name, long? After, DateTimeOffset? Since, int Limit);
