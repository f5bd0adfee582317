namespace Workers.Contracts.Messages;

/// <summary>Asks for every known host. Answered by <see cref="HostsReply"/>.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">A fresh id.</param>
/// <param name="Timestamp">When it was asked.</param>
public sealed record GetHosts(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp);
