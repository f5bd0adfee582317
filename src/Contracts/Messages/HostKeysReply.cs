namespace Workers.Contracts.Messages;

/// <summary>The answer to <see cref="ForgetHost"/>.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The request's correlation id.</param>
/// <param name="Timestamp">When it was answered.</param>
/// <param name="HostId">The host, as asked.</param>
/// <param name="Outcome">What was done, in words (<c>forgotten</c>, <c>revoked</c>, <c>had no keys pinned</c>).</param>
public sealed record HostKeysReply(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string HostId, string Outcome);
