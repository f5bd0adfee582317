namespace Workers.Contracts.Messages;

/// <summary>
/// Deletes a secret. Running containers keep the value they started with; a replica started later with a spec that
/// refers to it fails. Answered by <see cref="SecretReply"/>.
/// </summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">A fresh id.</param>
/// <param name="Timestamp">When it was asked.</param>
/// <param name="Name">The secret's name.</param>
/// <param name="RequestedBy">Who asked, for the functions' log.</param>
public sealed record DeleteSecret(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string Name, string RequestedBy);
