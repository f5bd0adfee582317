namespace Workers.Contracts.Messages;

/// <summary>
/// Asks the functions for the public key to seal a secret's value to before sending it (<see cref="SetSecret"/>).
/// Answered by <see cref="SealingKeyReply"/>.
/// </summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">A fresh id.</param>
/// <param name="Timestamp">When it was asked.</param>
public sealed record GetSealingKey(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp);
