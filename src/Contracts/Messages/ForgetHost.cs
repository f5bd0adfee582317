namespace Workers.Contracts.Messages;

/// <summary>
/// Unpins a host's agent keys (to rotate them: the host's next heartbeat pins its new keys), or revokes the host (every
/// message naming it is refused until it is forgotten). Answered by <see cref="HostKeysReply"/>.
/// </summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">A fresh id.</param>
/// <param name="Timestamp">When it was asked.</param>
/// <param name="HostId">The host.</param>
/// <param name="Revoke">True to revoke the host rather than unpin its keys.</param>
/// <param name="RequestedBy">Who asked, for the functions' log.</param>
public sealed record ForgetHost(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string HostId, bool Revoke, string RequestedBy);
